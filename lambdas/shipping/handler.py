"""Shipping's worker: order.placed → note the destination; payment.captured → book; order.cancelled → call off."""

import gc

# Lambda's init phase, to the last lines of this module: everything built here lives as long as the
# sandbox, so the cyclic collector would only scan it again and again (docs/performance.md).
gc.disable()

import os

import boto3
from aws_lambda_powertools import Logger, Metrics
from saga_events import EventPublisher, IntegrationEvent
from saga_events.consumer import EventConsumer, idempotent_by_its_writes
from saga_events.sealing import FieldOpener

from shipping.domain import DestinationNotYetKnown
from shipping.service import ShippingService
from shipping.store import ShipmentChanged, ShipmentStore

logger = Logger(service="shipping")
metrics = Metrics(namespace="OrderSaga", service="shipping")
dynamodb = boto3.client("dynamodb")
store = ShipmentStore(dynamodb, os.environ["SHIPMENTS_TABLE"])
publisher = EventPublisher(boto3.client("events"), os.environ["EVENT_BUS_NAME"])
service = ShippingService(
    store,
    publisher,
    FieldOpener.from_environment(boto3.client("kms")),
    served_countries=os.environ["SERVED_COUNTRIES"].split(","),
    source=os.environ["EVENT_SOURCE"],
    logger=logger,
    metrics=metrics,
)


# No idempotency record: its one write is a put on condition that the order has no record yet, so a
# repeat (or a twin running at once) is refused by the table and keeps what the first one wrote.
@idempotent_by_its_writes
def note_destination(placed: IntegrationEvent) -> None:
    service.note_destination(placed)


def schedule_shipment(captured: IntegrationEvent) -> None:
    service.schedule_shipment(captured.data["orderId"], captured)


def cancel_shipment(cancelled: IntegrationEvent) -> None:
    service.cancel_shipment(cancelled.data["orderId"], cancelled)


consume = EventConsumer(
    logger,
    {
        ("order.placed", 3): note_destination,
        ("payment.captured", 1): schedule_shipment,
        ("order.cancelled", 1): cancel_shipment,
    },
    idempotency_table=os.environ["IDEMPOTENCY_TABLE"],
    dynamodb_client=dynamodb,
    retry_later=(
        DestinationNotYetKnown,
        ShipmentChanged,
    ),
)

handle = consume.lambda_handler(metrics)


# Init is over. Frozen, what it built is never scanned again: not by the first request either.
gc.freeze()
gc.enable()
