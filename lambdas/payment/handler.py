"""Payment's worker: order.placed → note the intent; inventory.reserved → charge; order.cancelled → refund;
order.deadline-passed → settle a charge in doubt with the gateway and report its real outcome."""

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

from payment.domain import (
    CancellationStep,
    Captured,
    ChargeInFlight,
    ChargeStep,
    DeadlineStep,
    Declined,
    DeclineReason,
    IntentNotYetKnown,
    Money,
    Payment,
    PaymentStatus,
    Voided,
    cancellation_step,
    charge_step,
    deadline_step,
    idempotency_key,
    masked,
    outcome_of,
    require_intent,
)
from payment.gateway import GatewayUnavailable, SimulatedGateway
from payment.store import PaymentChanged, PaymentStore

SOURCE = os.environ["EVENT_SOURCE"]

logger = Logger(service="payment")
metrics = Metrics(namespace="OrderSaga", service="payment")
_dynamodb = boto3.client("dynamodb")
store = PaymentStore(_dynamodb, os.environ["PAYMENTS_TABLE"])
gateway = SimulatedGateway(_dynamodb, os.environ["GATEWAY_TABLE"])
publisher = EventPublisher(boto3.client("events"), os.environ["EVENT_BUS_NAME"])
# The payment token arrives encrypted for payment's key alone.
opener = FieldOpener.from_environment(boto3.client("kms"))


# No idempotency record: its one write is a put on condition that the order has no record yet, so a
# repeat (or a twin running at once) is refused by the table and keeps what the first one wrote.
@idempotent_by_its_writes
def note_payment_intent(placed: IntegrationEvent) -> None:
    data = placed.data
    intent = Payment(
        order_id=data["orderId"],
        status=PaymentStatus.INTENT,
        customer_id=data["customerId"],
        total=Money(data["total"]["amount"], data["total"]["currency"]),
        payment_method_token=opener.open(placed, "encryptedPaymentMethodToken"),
    )
    if store.record_intent(intent, datetime.now(UTC)):
        logger.info("payment intent recorded", extra={"token": masked(intent.token)})
    else:
        logger.info("order already known (a redelivery, or cancelled first); keeping what we have")


# No idempotency record: the gateway charges a key once, however often it is asked, and the outcome
# is announced before it is recorded. A repeat finds the payment settled and does nothing; a retry
# after a failed publish (or a failed record) finds it CHARGING, asks the gateway again with the same
# key, gets the same answer and announces it again, with the same event id. A twin running at once
# loses begin_charge's condition and is retried into one of those cases.
@idempotent_by_its_writes
def charge_payment(reserved: IntegrationEvent) -> None:
    order_id = reserved.data["orderId"]
    now = datetime.now(UTC)
    # IntentNotYetKnown propagates: order.placed is still on its way, so the message retries.
    payment = require_intent(store.payment(order_id))
    step = charge_step(payment)
    if step is ChargeStep.NOTHING:
        logger.info("order was cancelled before its charge; charging nothing", extra={"status": payment.status})
        return
    if step is ChargeStep.SETTLED:
        logger.info("charge already settled and announced; nothing to do", extra={"status": payment.status})
        return
    if step is ChargeStep.CHARGE:
        store.begin_charge(order_id, now)
    # GatewayUnavailable propagates so SQS retries; the payment stays CHARGING, as a cancellation sees.
    outcome = _settled(gateway.charge(idempotency_key(order_id), payment.token, payment.amount))
    publisher.publish([_outcome_event(reserved, payment, outcome, now)])
    _store(payment, outcome, now)
    metrics.add_metric(
        name="PaymentsCaptured" if isinstance(outcome, Captured) else "PaymentsDeclined",
        unit=MetricUnit.Count,
        value=1,
    )


def refund_payment(cancelled: IntegrationEvent) -> None:
    order_id = cancelled.data["orderId"]
    now = datetime.now(UTC)
    payment = store.payment(order_id)
    if payment is None:
        store.record_cancellation(order_id, cancelled.data["customerId"], now)
        logger.info("order cancelled before its payment intent; tombstone recorded")
        return
    # ChargeInFlight propagates: the cancellation retries until the charge has settled.
    step = cancellation_step(payment)
    if step is CancellationStep.CANCEL_INTENT:
        store.cancel_intent(order_id, now)
        logger.info("order cancelled before its charge; intent cancelled")
        return
    if step is CancellationStep.NOTHING:
        logger.info("nothing was taken for this order; nothing to refund", extra={"status": payment.status})
        return
    if step is CancellationStep.REFUND:
        store.record_refund(order_id, gateway.refund(payment.captured_charge), now)
    publisher.publish([_refunded_event(cancelled, payment, now)])
    metrics.add_metric(name="PaymentsRefunded", unit=MetricUnit.Count, value=1)


def settle_at_deadline(passed: IntegrationEvent) -> None:
    """The order was not decided in time. Whatever we or the gateway know is reported as the outcome
    it is, so the order confirms or cancels as on any outcome; what never completed is voided first,
    so a late attempt (a redriven inventory.reserved) can never charge afterwards."""
    order_id = passed.data["orderId"]
    now = datetime.now(UTC)
    payment = store.payment(order_id)
    step = deadline_step(payment)
    if step is DeadlineStep.NOTHING:
        logger.info("the order was cancelled; nothing to settle at its deadline")
        return
    outcome: Captured | Declined
    if payment is None:
        store.record_cancellation(order_id, passed.data["customerId"], now)
        payment, outcome = Payment(order_id, PaymentStatus.CANCELLED), Declined(DeclineReason.DEADLINE_PASSED)
    elif step is DeadlineStep.GIVE_UP_CHARGE:
        store.cancel_intent(order_id, now)
        outcome = Declined(DeclineReason.DEADLINE_PASSED)
    elif step is DeadlineStep.ANNOUNCE:
        outcome = outcome_of(payment)
    else:
        # GatewayUnavailable propagates: the gateway must answer before anything can be said.
        outcome = _record(payment, gateway.void(idempotency_key(order_id)), now)
    logger.info("settled at the order's deadline", extra={"step": step.name, "outcome": type(outcome).__name__})
    publisher.publish([_outcome_event(passed, payment, outcome, now)])


def _record(payment: Payment, outcome: Captured | Declined | Voided, now: datetime) -> Captured | Declined:
    """The gateway's answer for a payment that is CHARGING, recorded; a void is a decline at the deadline."""
    settled = _settled(outcome)
    _store(payment, settled, now)
    return settled


def _settled(outcome: Captured | Declined | Voided) -> Captured | Declined:
    if isinstance(outcome, Voided):
        logger.info("charge voided at the gateway: it never completed by the order's deadline")
        return Declined(DeclineReason.DEADLINE_PASSED)
    return outcome


def _store(payment: Payment, outcome: Captured | Declined, now: datetime) -> None:
    if isinstance(outcome, Captured):
        store.record_capture(payment.order_id, outcome.charge_id, now)
        return
    if outcome.reason is DeclineReason.CARD_DECLINED:
        logger.info("charge declined", extra={"token": masked(payment.token)})
    store.record_decline(payment.order_id, outcome.reason, now)


def _outcome_event(cause: IntegrationEvent, payment: Payment, outcome: Captured | Declined, now: datetime) -> dict:
    if isinstance(outcome, Captured):
        event_type = "payment.captured"
        data = {
            "orderId": payment.order_id,
            "customerId": payment.customer_id,
            "paymentId": outcome.charge_id,
            "amount": _money(payment.amount),
            "capturedAt": now.isoformat(),
        }
    else:
        event_type = "payment.declined"
        data = {"orderId": payment.order_id, "reason": outcome.reason.value, "declinedAt": now.isoformat()}
    return new_event(
        event_type,
        data,
        source=SOURCE,
        correlation_id=cause.correlation_id,
        causation_id=cause.id,
    )


def _refunded_event(cancelled: IntegrationEvent, payment: Payment, now: datetime) -> dict:
    return new_event(
        "payment.refunded",
        {
            "orderId": payment.order_id,
            "customerId": payment.customer_id,
            "paymentId": payment.captured_charge,
            "amount": _money(payment.amount),
            "refundedAt": now.isoformat(),
        },
        source=SOURCE,
        correlation_id=cancelled.correlation_id,
        causation_id=cancelled.id,
    )


def _money(money: Money) -> dict:
    return {"amount": money.amount, "currency": money.currency}


consume = EventConsumer(
    logger,
    {
        ("order.placed", 3): note_payment_intent,
        ("inventory.reserved", 1): charge_payment,
        ("order.cancelled", 1): refund_payment,
        ("order.deadline-passed", 1): settle_at_deadline,
    },
    idempotency_table=os.environ["IDEMPOTENCY_TABLE"],
    dynamodb_client=_dynamodb,
    retry_later=(
        IntentNotYetKnown,
        ChargeInFlight,
        GatewayUnavailable,
        PaymentChanged,
    ),
)

handle = consume.lambda_handler(metrics)


# Init is over. Frozen, what it built is never scanned again: not by the first request either.
gc.freeze()
gc.enable()
