"""Inventory's worker: order.placed → reserve stock; order.cancelled → release it."""

import gc

# Lambda's init phase, to the last lines of this module: everything built here lives as long as the
# sandbox, so the cyclic collector would only scan it again and again (docs/performance.md).
gc.disable()

import os

import boto3
from aws_lambda_powertools import Logger, Metrics
from saga_events import EventPublisher, IntegrationEvent
from saga_events.consumer import EventConsumer

from inventory.service import InventoryService
from inventory.store import InventoryStore, StockChanged

logger = Logger(service="inventory")
metrics = Metrics(namespace="OrderSaga", service="inventory")
dynamodb = boto3.client("dynamodb")
store = InventoryStore(dynamodb, os.environ["STOCK_TABLE"], os.environ["RESERVATIONS_TABLE"])
publisher = EventPublisher(boto3.client("events"), os.environ["EVENT_BUS_NAME"])
service = InventoryService(store, publisher, source=os.environ["EVENT_SOURCE"], logger=logger, metrics=metrics)


def reserve_stock(placed: IntegrationEvent) -> None:
    service.reserve_stock(placed.data["orderId"], placed.data["lines"], placed)


def release_stock(cancelled: IntegrationEvent) -> None:
    service.release_stock(cancelled.data["orderId"], cancelled)


consume = EventConsumer(
    logger,
    # order.placed v2: inventory has moved to the minimised event (lines are all it needs).
    {("order.placed", 2): reserve_stock, ("order.cancelled", 1): release_stock},
    idempotency_table=os.environ["IDEMPOTENCY_TABLE"],
    dynamodb_client=dynamodb,
    retry_later=(StockChanged,),
)

handle = consume.lambda_handler(metrics)


# Init is over. Frozen, what it built is never scanned again: not by the first request either.
gc.freeze()
gc.enable()
