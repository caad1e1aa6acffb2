"""Payment's Step Functions tasks (sagaStyle orchestration; the contract: saga_events/tasks.py):
charge_payment → {"paymentId": ...} or PaymentDeclined; refund_payment → {"refunded": id | null}.

GatewayUnavailable propagates from a charge: the step's Retry asks again with the same key, which
never charges twice."""

import gc

# Lambda's init phase, to the last lines of this module: everything built here lives as long as the
# sandbox, so the cyclic collector would only scan it again and again (docs/performance.md).
gc.disable()

import os
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from saga_events import EventPublisher
from saga_events.sealing import FieldOpener
from saga_events.tasks import BusinessFailure, OrderCancelled, cancellation_cause, placed_event, task_handler

from payment.domain import Captured, ChargeInFlight
from payment.gateway import SimulatedGateway
from payment.service import PaymentService
from payment.store import PaymentStore


class PaymentDeclined(BusinessFailure):
    """The charge was refused; nothing was taken."""


logger = Logger(service="payment")
metrics = Metrics(namespace="OrderSaga", service="payment")
_dynamodb = boto3.client("dynamodb")
store = PaymentStore(_dynamodb, os.environ["PAYMENTS_TABLE"])
gateway = SimulatedGateway(_dynamodb, os.environ["GATEWAY_TABLE"])
publisher = EventPublisher(boto3.client("events"), os.environ["EVENT_BUS_NAME"])
service = PaymentService(
    store,
    gateway,
    publisher,
    FieldOpener.from_environment(boto3.client("kms")),
    source=os.environ["EVENT_SOURCE"],
    logger=logger,
    metrics=metrics,
)


def charge_payment(saga: dict[str, Any]) -> dict[str, Any]:
    placed = placed_event(saga)
    # The intent first, from the execution's input: a repeat keeps what the first one wrote.
    service.note_payment_intent(placed)
    outcome = service.charge_payment(saga["orderId"], placed)
    if outcome is None:
        raise OrderCancelled(f"order {saga['orderId']} was cancelled before its charge")
    if not isinstance(outcome, Captured):
        raise PaymentDeclined(outcome.reason.value)
    return {"paymentId": outcome.charge_id}


def refund_payment(saga: dict[str, Any]) -> dict[str, Any]:
    order_id, customer_id = saga["orderId"], saga["placed"]["data"]["customerId"]
    cause = cancellation_cause(order_id)
    try:
        return {"refunded": service.refund_payment(order_id, customer_id, cause)}
    except ChargeInFlight:
        # The charge's retries were spent with its outcome unknown (tok_unanswered): ask the gateway,
        # voiding what never completed, then give back whatever it did take.
        service.settle_at_deadline(order_id, customer_id, cause)
        return {"refunded": service.refund_payment(order_id, customer_id, cause)}


actions = {"charge_payment": charge_payment, "refund_payment": refund_payment}
handle = metrics.log_metrics(task_handler(logger, actions))


# Init is over. Frozen, what it built is never scanned again: not by the first request either.
gc.freeze()
gc.enable()
