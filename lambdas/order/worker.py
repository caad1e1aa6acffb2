"""The order worker: participants' outcomes → the order's status, and cancellation on failure."""

import os
from datetime import UTC, datetime

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from saga_events import IntegrationEvent
from saga_events.consumer import EventConsumer

from order.domain import CancellationReason, cancel, stock_reserved
from order.events import order_cancelled
from order.store import OrderStore

logger = Logger(service="order")
metrics = Metrics(namespace="OrderSaga", service="order")
store = OrderStore(boto3.client("dynamodb"), os.environ["ORDERS_TABLE"])


class UnknownOrder(LookupError):
    """An outcome for an order we do not have: retried, then dead-lettered for a human."""


def _load(event: IntegrationEvent):  # noqa: ANN202 - returns order.domain.Order
    order = store.get(event.data["orderId"])
    if order is None:
        raise UnknownOrder(f"{event.type} {event.id} names unknown order {event.data['orderId']}")
    store.record_received(order.order_id, event.as_cloudevent())
    return order


def mark_stock_reserved(event: IntegrationEvent) -> None:
    order = _load(event)
    changed = stock_reserved(order)
    if changed is not None:
        store.save(changed, [], datetime.now(UTC))


def cancel_for_rejected_reservation(event: IntegrationEvent) -> None:
    order = _load(event)
    reason = (
        CancellationReason(event.data["reason"]) if event.data["reason"] in CancellationReason.__members__ else None
    )
    _cancel(
        order,
        reason or CancellationReason.OUT_OF_STOCK,
        event,
        f"reservation rejected for {event.data['skus']}",
    )


def _cancel(order, reason: CancellationReason, cause: IntegrationEvent, detail: str) -> None:  # noqa: ANN001
    cancelled = cancel(order, reason)
    if cancelled is None:
        return
    now = datetime.now(UTC)
    store.save(cancelled, [order_cancelled(cancelled, cause.id, detail, now)], now)
    metrics.add_metric(name="OrdersCancelled", unit=MetricUnit.Count, value=1)
    logger.info("order cancelled", extra={"reason": reason.value})


consume = EventConsumer(
    logger,
    {
        ("inventory.reserved", 1): mark_stock_reserved,
        ("inventory.reservation-rejected", 1): cancel_for_rejected_reservation,
    },
    idempotency_table=os.environ["IDEMPOTENCY_TABLE"],
)


@metrics.log_metrics
@logger.inject_lambda_context
def handle(event: dict, context: LambdaContext) -> dict:
    return consume(event, context)
