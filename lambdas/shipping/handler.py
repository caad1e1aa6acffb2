"""Shipping's worker: order.placed → note the destination; payment.captured → book; order.cancelled → call off."""

import gc

# Lambda's init phase, to the last lines of this module: everything built here lives as long as the
# sandbox, so the cyclic collector would only scan it again and again (docs/performance.md).
gc.disable()

import os
from datetime import UTC, datetime

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from saga_events import EventPublisher, IntegrationEvent, new_event
from saga_events.consumer import EventConsumer, idempotent_by_its_writes
from saga_events.sealing import FieldOpener
from saga_events.validation import validate_event

from shipping.domain import (
    DestinationNotYetKnown,
    NotServed,
    OnCancellation,
    Scheduled,
    ShipmentStatus,
    on_cancellation,
    schedule,
)
from shipping.store import ShipmentChanged, ShipmentStore

SOURCE = os.environ["EVENT_SOURCE"]
SERVED_COUNTRIES = frozenset(os.environ["SERVED_COUNTRIES"].split(","))

logger = Logger(service="shipping")
metrics = Metrics(namespace="OrderSaga", service="shipping")
dynamodb = boto3.client("dynamodb")
store = ShipmentStore(dynamodb, os.environ["SHIPMENTS_TABLE"])
publisher = EventPublisher(boto3.client("events"), os.environ["EVENT_BUS_NAME"])
# The shipping address arrives encrypted for shipping's key alone.
opener = FieldOpener.from_environment(boto3.client("kms"))


# No idempotency record: its one write is a put on condition that the order has no record yet, so a
# repeat (or a twin running at once) is refused by the table and keeps what the first one wrote.
@idempotent_by_its_writes
def note_destination(placed: IntegrationEvent) -> None:
    # The street lines are for the carrier's label; the simulated booking needs only the country.
    address = opener.open(placed, "encryptedShippingAddress")
    store.note_destination(placed.data["orderId"], address["country"], datetime.now(UTC))


# No idempotency record: each move of the shipment is conditional on the state it was read in (a twin
# running at once loses and is retried), and once the outcome is published the shipment says so. A
# repeat then does nothing; a retry after a failed publish finds it unannounced and publishes again.
@idempotent_by_its_writes
def schedule_shipment(captured: IntegrationEvent) -> None:
    order_id = captured.data["orderId"]
    now = datetime.now(UTC)
    shipment = store.get(order_id)
    if shipment is not None and shipment.announced:
        logger.info("shipment already decided and announced; nothing to do")
        return
    decision = schedule(shipment, SERVED_COUNTRIES)
    if decision is None:
        logger.info("order cancelled before shipping; booking nothing")
        return
    assert shipment is not None
    event = _scheduled(captured, decision, now) if isinstance(decision, Scheduled) else _failed(captured, decision, now)
    # Checked before the record moves: a booking we could not announce must not be made.
    validate_event(event)
    if isinstance(decision, Scheduled):
        if shipment.status is not ShipmentStatus.SCHEDULED:
            store.book(order_id, decision.shipment_id, now)
        metrics.add_metric(name="ShipmentsScheduled", unit=MetricUnit.Count, value=1)
    else:
        if shipment.status is not ShipmentStatus.FAILED:
            store.fail(order_id, now)
        metrics.add_metric(name="ShipmentsFailed", unit=MetricUnit.Count, value=1)
    publisher.publish([event])
    store.mark_announced(order_id)


def _scheduled(captured: IntegrationEvent, decision: Scheduled, now: datetime) -> dict:
    return new_event(
        "shipping.scheduled",
        {
            "orderId": captured.data["orderId"],
            "shipmentId": decision.shipment_id,
            "country": decision.country,
            "scheduledAt": now.isoformat(),
        },
        source=SOURCE,
        correlation_id=captured.correlation_id,
        causation_id=captured.id,
    )


def _failed(captured: IntegrationEvent, decision: NotServed, now: datetime) -> dict:
    return new_event(
        "shipping.failed",
        {
            "orderId": captured.data["orderId"],
            "reason": "COUNTRY_NOT_SERVED",
            "country": decision.country,
            "failedAt": now.isoformat(),
        },
        source=SOURCE,
        correlation_id=captured.correlation_id,
        causation_id=captured.id,
    )


def cancel_shipment(cancelled: IntegrationEvent) -> None:
    order_id = cancelled.data["orderId"]
    now = datetime.now(UTC)
    shipment = store.get(order_id)
    step = on_cancellation(shipment)
    if step is OnCancellation.TOMBSTONE:
        store.cancel_before_booking(shipment, order_id, now)
        return
    if step is OnCancellation.NOTHING:
        return
    assert shipment is not None and shipment.shipment_id is not None
    if step is OnCancellation.CALL_OFF:
        store.call_off(order_id, now)
    publisher.publish(
        [
            new_event(
                "shipping.cancelled",
                {"orderId": order_id, "shipmentId": shipment.shipment_id, "cancelledAt": now.isoformat()},
                source=SOURCE,
                correlation_id=cancelled.correlation_id,
                causation_id=cancelled.id,
            )
        ]
    )
    metrics.add_metric(name="ShipmentsCancelled", unit=MetricUnit.Count, value=1)


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
