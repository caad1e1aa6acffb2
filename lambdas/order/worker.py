"""The order worker: participants' outcomes move the order on, and any failure cancels it.

Every event about an order also lands on the order's timeline, so GET /orders/{id}
shows the whole saga.

No handler here keeps an idempotency record: each is idempotent by its own writes. The timeline
item of a received event is keyed on that event's time and id, so a repeat rewrites the same item;
an order change is conditional on the version it read and carries its outbox event in the same
transaction, so a repeat finds the order moved already (the rule answers None, nothing is written
or published) and a twin running at once loses the condition and is retried into that case.
"""

import gc

# Lambda's init phase, to the last lines of this module: everything built here lives as long as the
# sandbox, so the cyclic collector would only scan it again and again (docs/performance.md).
gc.disable()

import os
from collections.abc import Callable
from datetime import UTC, datetime

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from saga_events import IntegrationEvent
from saga_events.consumer import EventConsumer, idempotent_by_its_writes

from order.domain import (
    CannotCancel,
    Order,
    OrderStatus,
    cancel,
    payment_captured,
    reason_for_failure,
    shipment_scheduled,
    stock_reserved,
)
from order.events import order_cancelled, order_confirmed
from order.store import OrderChanged, OrderStore

logger = Logger(service="order")
metrics = Metrics(namespace="OrderSaga", service="order")
dynamodb = boto3.client("dynamodb")
store = OrderStore(dynamodb, os.environ["ORDERS_TABLE"])
SOURCE = os.environ["EVENT_SOURCE"]


class UnknownOrder(LookupError):
    """An outcome for an order we do not have: retried, then dead-lettered for a human."""


def _on_timeline(event: IntegrationEvent) -> Order:
    order = store.get(event.data["orderId"])
    if order is None:
        raise UnknownOrder(f"{event.type} {event.id} names unknown order {event.data['orderId']}")
    store.record_received(order.order_id, event.as_cloudevent())
    return order


def _progress(rule: Callable[[Order], Order | None]) -> Callable[[IntegrationEvent], None]:
    def apply(event: IntegrationEvent) -> None:
        order = _on_timeline(event)
        changed = rule(order)
        if changed is None:
            return
        now = datetime.now(UTC)
        confirmed = changed.status is OrderStatus.CONFIRMED
        store.save(changed, [order_confirmed(changed, event.id, now, source=SOURCE)] if confirmed else [], now)
        if confirmed:
            metrics.add_metric(name="OrdersConfirmed", unit=MetricUnit.Count, value=1)
        logger.info("order moved on", extra={"status": changed.status.value})

    apply.__name__ = rule.__name__
    return idempotent_by_its_writes(apply)


@idempotent_by_its_writes
def cancel_on_failure(event: IntegrationEvent) -> None:
    order = _on_timeline(event)
    reason = reason_for_failure(event.type, event.data["reason"])
    if reason is None:
        return
    try:
        cancelled = cancel(order, reason)
    except CannotCancel:
        logger.warning("failure reported for an order already confirmed; nothing to cancel")
        return
    if cancelled is None:
        return
    now = datetime.now(UTC)
    detail = f"{event.type} from {event.source}: {event.data['reason']}"
    store.save(cancelled, [order_cancelled(cancelled, event.id, detail, now, source=SOURCE)], now)
    metrics.add_metric(name="OrdersCancelled", unit=MetricUnit.Count, value=1)
    logger.info("order cancelled", extra={"reason": reason.value})


@idempotent_by_its_writes
def record_on_timeline(event: IntegrationEvent) -> None:
    """Compensations and side effects change no status; the customer sees them in the timeline."""
    _on_timeline(event)


consume = EventConsumer(
    logger,
    {
        ("inventory.reserved", 1): _progress(stock_reserved),
        ("payment.captured", 1): _progress(payment_captured),
        ("shipping.scheduled", 1): _progress(shipment_scheduled),
        ("inventory.reservation-rejected", 1): cancel_on_failure,
        ("payment.declined", 1): cancel_on_failure,
        ("shipping.failed", 1): cancel_on_failure,
        ("inventory.released", 1): record_on_timeline,
        ("payment.refunded", 1): record_on_timeline,
        ("shipping.cancelled", 1): record_on_timeline,
        ("loyalty.points-awarded", 1): record_on_timeline,
        ("loyalty.points-revoked", 1): record_on_timeline,
    },
    idempotency_table=os.environ["IDEMPOTENCY_TABLE"],
    dynamodb_client=dynamodb,
    retry_later=(OrderChanged,),
)

handle = consume.lambda_handler(metrics)


# Init is over. Frozen, what it built is never scanned again: not by the first request either.
gc.freeze()
gc.enable()
