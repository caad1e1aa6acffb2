"""Inventory's Step Functions tasks (sagaStyle orchestration; the contract: saga_events/tasks.py):
reserve_stock → {"lines": [...]} or OutOfStock / UnknownSku; release_stock → {"released": [...]}."""

import gc

# Lambda's init phase, to the last lines of this module: everything built here lives as long as the
# sandbox, so the cyclic collector would only scan it again and again (docs/performance.md).
gc.disable()

import os
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from saga_events import EventPublisher
from saga_events.tasks import BusinessFailure, OrderCancelled, cancellation_cause, placed_event, task_handler

from inventory.domain import Rejected, RejectionReason
from inventory.service import InventoryService
from inventory.store import InventoryStore


class OutOfStock(BusinessFailure):
    """Too few on the shelf for a line; nothing is held."""


class UnknownSku(BusinessFailure):
    """A line names an SKU we do not sell; nothing is held."""


_FAILURES = {RejectionReason.OUT_OF_STOCK: OutOfStock, RejectionReason.UNKNOWN_SKU: UnknownSku}

logger = Logger(service="inventory")
metrics = Metrics(namespace="OrderSaga", service="inventory")
store = InventoryStore(boto3.client("dynamodb"), os.environ["STOCK_TABLE"], os.environ["RESERVATIONS_TABLE"])
publisher = EventPublisher(boto3.client("events"), os.environ["EVENT_BUS_NAME"])
service = InventoryService(store, publisher, source=os.environ["EVENT_SOURCE"], logger=logger, metrics=metrics)


def reserve_stock(saga: dict[str, Any]) -> dict[str, Any]:
    placed = placed_event(saga)
    outcome = service.reserve_stock(saga["orderId"], placed.data["lines"], placed)
    if outcome is None or (isinstance(outcome, Rejected) and outcome.reason is RejectionReason.ORDER_CANCELLED):
        raise OrderCancelled(f"order {saga['orderId']} was cancelled before its reservation")
    if isinstance(outcome, Rejected):
        raise _FAILURES[outcome.reason](f"{outcome.reason.value}: {', '.join(outcome.skus)}")
    return {"lines": [{"sku": line.sku, "quantity": line.quantity} for line in outcome.lines]}


def release_stock(saga: dict[str, Any]) -> dict[str, Any]:
    released = service.release_stock(saga["orderId"], cancellation_cause(saga["orderId"]))
    return {"released": [{"sku": line.sku, "quantity": line.quantity} for line in released]}


actions = {"reserve_stock": reserve_stock, "release_stock": release_stock}
handle = metrics.log_metrics(task_handler(logger, actions))


# Init is over. Frozen, what it built is never scanned again: not by the first request either.
gc.freeze()
gc.enable()
