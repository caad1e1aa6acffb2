"""Loyalty's Step Functions tasks (sagaStyle orchestration; the contract: saga_events/tasks.py):
award_points → {"points": n}; revoke_points → {"revoked": n}."""

import gc

# Lambda's init phase, to the last lines of this module: everything built here lives as long as the
# sandbox, so the cyclic collector would only scan it again and again (docs/performance.md).
gc.disable()

import os
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from saga_events import EventPublisher
from saga_events.events import derived_event_id
from saga_events.tasks import SagaCause, cancellation_cause, placed_event, task_handler

from loyalty.service import LoyaltyService
from loyalty.store import LedgerStore

logger = Logger(service="loyalty")
metrics = Metrics(namespace="OrderSaga", service="loyalty")
ledger = LedgerStore(boto3.client("dynamodb"), os.environ["LEDGER_TABLE"])
publisher = EventPublisher(boto3.client("events"), os.environ["EVENT_BUS_NAME"])
service = LoyaltyService(ledger, publisher, source=os.environ["EVENT_SOURCE"], logger=logger, metrics=metrics)


def award_points(saga: dict[str, Any]) -> dict[str, Any]:
    placed = placed_event(saga)
    # What was charged is the order's total (payment charges exactly that).
    points = service.award_points(placed.data["customerId"], saga["orderId"], placed.data["total"]["amount"], placed)
    return {"points": points}


def revoke_points(saga: dict[str, Any]) -> dict[str, Any]:
    order_id = saga["orderId"]
    # Caused by the refund the payment task published while compensating (its id derives from the
    # cancellation's): the worker, handed that same payment.refunded, announces the same event id.
    refund_id = derived_event_id(cancellation_cause(order_id).id, "payment.refunded", 1)
    revoked = service.revoke_points(saga["placed"]["data"]["customerId"], order_id, SagaCause(refund_id, order_id))
    return {"revoked": revoked}


actions = {"award_points": award_points, "revoke_points": revoke_points}
handle = metrics.log_metrics(task_handler(logger, actions))


# Init is over. Frozen, what it built is never scanned again: not by the first request either.
gc.freeze()
gc.enable()
