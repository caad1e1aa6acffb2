"""Inventory's worker: order.placed → reserve stock; order.cancelled → release it."""

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
from saga_events.validation import validate_event

from inventory.domain import (
    OnCancellation,
    Rejected,
    Reserved,
    StockRequest,
    merge_lines,
    on_cancellation,
    outcome_of,
    reserve,
)
from inventory.store import InventoryStore, StockChanged

SOURCE = os.environ["EVENT_SOURCE"]

logger = Logger(service="inventory")
metrics = Metrics(namespace="OrderSaga", service="inventory")
dynamodb = boto3.client("dynamodb")
store = InventoryStore(dynamodb, os.environ["STOCK_TABLE"], os.environ["RESERVATIONS_TABLE"])
publisher = EventPublisher(boto3.client("events"), os.environ["EVENT_BUS_NAME"])


# No idempotency record: the reservation is written on condition that the order has none yet (a twin
# running at once loses and is retried), and once its outcome is published the reservation says so.
# A repeat then does nothing; a retry after a failed publish finds it unannounced and publishes again.
@idempotent_by_its_writes
def reserve_stock(placed: IntegrationEvent) -> None:
    order_id = placed.data["orderId"]
    now = datetime.now(UTC)
    earlier = store.reservation(order_id)
    if earlier is not None and earlier.announced:
        logger.info("reservation already decided and announced; nothing to do")
        return
    if earlier is not None:
        # A redelivery or a retry after a failed publish: repeat the decision, don't redo it.
        outcome = outcome_of(earlier)
        if outcome is None:
            logger.info("order was cancelled before its reservation; holding nothing")
            return
    else:
        lines = merge_lines(StockRequest(line["sku"], line["quantity"]) for line in placed.data["lines"])
        outcome = reserve(lines, store.stock_on_hand([line.sku for line in lines]))
        # Checked before stock moves: an outcome we could not announce must not hold anything.
        validate_event(_outcome_event(placed, outcome, now))
        if isinstance(outcome, Reserved):
            store.hold(order_id, outcome.lines, now)
        else:
            store.record_rejection(order_id, outcome, now)
    publisher.publish([_outcome_event(placed, outcome, now)])
    store.mark_announced(order_id)
    metrics.add_metric(
        name="StockReserved" if isinstance(outcome, Reserved) else "ReservationRejected",
        unit=MetricUnit.Count,
        value=1,
    )


def release_stock(cancelled: IntegrationEvent) -> None:
    order_id = cancelled.data["orderId"]
    now = datetime.now(UTC)
    reservation = store.reservation(order_id)
    step = on_cancellation(reservation)
    if step is OnCancellation.TOMBSTONE:
        store.record_cancellation(order_id, now)
        logger.info("order cancelled before any reservation; tombstone recorded")
        return
    if step is OnCancellation.NOTHING:
        return
    assert reservation is not None
    if step is OnCancellation.RELEASE:
        store.release(reservation, now)
    released = new_event(
        "inventory.released",
        {
            "orderId": order_id,
            "lines": [{"sku": line.sku, "quantity": line.quantity} for line in reservation.lines],
            "releasedAt": now.isoformat(),
        },
        source=SOURCE,
        correlation_id=cancelled.correlation_id,
        causation_id=cancelled.id,
    )
    publisher.publish([released])
    metrics.add_metric(name="StockReleased", unit=MetricUnit.Count, value=1)


def _outcome_event(placed: IntegrationEvent, outcome: Reserved | Rejected, now: datetime) -> dict:
    order_id = placed.data["orderId"]
    if isinstance(outcome, Reserved):
        event_type = "inventory.reserved"
        data = {
            "orderId": order_id,
            "lines": [{"sku": line.sku, "quantity": line.quantity} for line in outcome.lines],
            "reservedAt": now.isoformat(),
        }
    else:
        event_type = "inventory.reservation-rejected"
        data = {
            "orderId": order_id,
            "reason": outcome.reason.value,
            "skus": list(outcome.skus),
            "rejectedAt": now.isoformat(),
        }
    return new_event(
        event_type,
        data,
        source=SOURCE,
        correlation_id=placed.correlation_id,
        causation_id=placed.id,
    )


consume = EventConsumer(
    logger,
    # order.placed v3: the lines are all inventory reads; the encrypted fields are not for it.
    {("order.placed", 3): reserve_stock, ("order.cancelled", 1): release_stock},
    idempotency_table=os.environ["IDEMPOTENCY_TABLE"],
    dynamodb_client=dynamodb,
    retry_later=(StockChanged,),
)

handle = consume.lambda_handler(metrics)


# Init is over. Frozen, what it built is never scanned again: not by the first request either.
gc.freeze()
gc.enable()
