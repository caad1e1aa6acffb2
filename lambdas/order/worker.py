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

import boto3
from aws_lambda_powertools import Logger, Metrics
from saga_events import IntegrationEvent
from saga_events.consumer import EventConsumer, idempotent_by_its_writes

from order.domain import payment_captured, reason_for_failure, shipment_scheduled, stock_reserved
from order.service import OrderService, Rule
from order.store import OrderChanged, OrderStore

logger = Logger(service="order")
metrics = Metrics(namespace="OrderSaga", service="order")
dynamodb = boto3.client("dynamodb")
store = OrderStore(dynamodb, os.environ["ORDERS_TABLE"])
service = OrderService(store, source=os.environ["EVENT_SOURCE"], logger=logger, metrics=metrics)
# Orchestrated (the stack's sagaStyle), the state machine confirms the order once every step is done,
# points awarded too: a booked shipment is then news for the timeline, not a confirmation. A step's
# failure likewise: the state machine cancels (reason_for_failure).
ORCHESTRATED = os.environ["SAGA_STYLE"] == "orchestration"


def _progress(rule: Rule) -> Callable[[IntegrationEvent], None]:
    def apply(event: IntegrationEvent) -> None:
        service.move_on(service.record_received(event), rule, event.id)

    apply.__name__ = rule.__name__
    return idempotent_by_its_writes(apply)


@idempotent_by_its_writes
def cancel_on_failure(event: IntegrationEvent) -> None:
    order = service.record_received(event)
    reason = reason_for_failure(event.type, event.data["reason"], orchestrated=ORCHESTRATED)
    if reason is not None:
        service.cancel(order, reason, event.id, f"{event.type} from {event.source}: {event.data['reason']}")


@idempotent_by_its_writes
def record_on_timeline(event: IntegrationEvent) -> None:
    """Compensations and side effects change no status; the customer sees them in the timeline."""
    service.record_received(event)


consume = EventConsumer(
    logger,
    {
        ("inventory.reserved", 1): _progress(stock_reserved),
        ("payment.captured", 1): _progress(payment_captured),
        ("shipping.scheduled", 1): record_on_timeline if ORCHESTRATED else _progress(shipment_scheduled),
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
