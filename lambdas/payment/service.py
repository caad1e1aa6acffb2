"""Payment's business operations: note the intent, charge (never twice), refund, settle at the deadline.

Called by the queue worker (choreography) and by the task handler (orchestration), with the same
rules and the same outcome events either way. The gateway's transient failure (GatewayUnavailable)
and a charge still in flight (ChargeInFlight) propagate: each adapter retries them its own way.
"""

from datetime import datetime

from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import MetricUnit
from saga_events import IntegrationEvent, new_event
from saga_events.sealing import FieldOpener
from saga_events.services import Cause, Clock, MetricsRecorder, Publisher, utc_now

from payment.domain import (
    CancellationStep,
    Captured,
    ChargeStep,
    DeadlineStep,
    Declined,
    DeclineReason,
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
from payment.gateway import SimulatedGateway
from payment.store import PaymentStore


class PaymentService:
    def __init__(
        self,
        store: PaymentStore,
        gateway: SimulatedGateway,
        publisher: Publisher,
        opener: FieldOpener,
        *,
        source: str,
        logger: Logger,
        metrics: MetricsRecorder,
        clock: Clock = utc_now,
    ) -> None:
        self.store = store
        self.gateway = gateway
        self.publisher = publisher
        # The payment token arrives encrypted for payment's key alone.
        self.opener = opener
        self.source = source
        self._logger = logger
        self._metrics = metrics
        self._clock = clock

    def note_payment_intent(self, placed: IntegrationEvent) -> bool:
        """Remember what to charge, from order.placed v3; False if the order was known already
        (a repeat, or a cancellation that came first): what was there is kept."""
        data = placed.data
        intent = Payment(
            order_id=data["orderId"],
            status=PaymentStatus.INTENT,
            customer_id=data["customerId"],
            total=Money(data["total"]["amount"], data["total"]["currency"]),
            payment_method_token=self.opener.open(placed, "encryptedPaymentMethodToken"),
        )
        if self.store.record_intent(intent, self._clock()):
            self._logger.info("payment intent recorded", extra={"token": masked(intent.token)})
            return True
        self._logger.info("order already known (a redelivery, or cancelled first); keeping what we have")
        return False

    def charge_payment(self, order_id: str, cause: Cause) -> Captured | Declined | None:
        """Charge the order's total with the order's key; None if the order was cancelled first.

        IntentNotYetKnown propagates: order.placed is still on its way."""
        now = self._clock()
        payment = require_intent(self.store.payment(order_id))
        step = charge_step(payment)
        if step is ChargeStep.NOTHING:
            self._logger.info(
                "order was cancelled before its charge; charging nothing", extra={"status": payment.status}
            )
            return None
        if step is ChargeStep.ANNOUNCE:
            # A redelivery or a retry after a failed publish: repeat the outcome, don't charge again.
            outcome = outcome_of(payment)
        else:
            if step is ChargeStep.CHARGE:
                self.store.begin_charge(order_id, now)
            outcome = self._charge(payment, now)
        self.publisher.publish([self._outcome_event(cause, payment, outcome, now)])
        self._metrics.add_metric(
            name="PaymentsCaptured" if isinstance(outcome, Captured) else "PaymentsDeclined",
            unit=MetricUnit.Count,
            value=1,
        )
        return outcome

    def refund_payment(self, order_id: str, customer_id: str, cause: Cause) -> str | None:
        """Give back what was captured (announced); the refunded charge's id, or None if nothing was taken.

        Nothing known of the order yet: a tombstone, so a late charge takes nothing.
        ChargeInFlight propagates: the refund waits until the charge has settled."""
        now = self._clock()
        payment = self.store.payment(order_id)
        if payment is None:
            self.store.record_cancellation(order_id, customer_id, now)
            self._logger.info("order cancelled before its payment intent; tombstone recorded")
            return None
        step = cancellation_step(payment)
        if step is CancellationStep.CANCEL_INTENT:
            self.store.cancel_intent(order_id, now)
            self._logger.info("order cancelled before its charge; intent cancelled")
            return None
        if step is CancellationStep.NOTHING:
            self._logger.info("nothing was taken for this order; nothing to refund", extra={"status": payment.status})
            return None
        if step is CancellationStep.REFUND:
            self.store.record_refund(order_id, self.gateway.refund(payment.captured_charge), now)
        self.publisher.publish([self._refunded_event(cause, payment, now)])
        self._metrics.add_metric(name="PaymentsRefunded", unit=MetricUnit.Count, value=1)
        return payment.captured_charge

    def settle_at_deadline(self, order_id: str, customer_id: str, cause: Cause) -> Captured | Declined | None:
        """The order was not decided in time. Whatever we or the gateway know is reported as the outcome
        it is, so the order confirms or cancels as on any outcome; what never completed is voided first,
        so a late attempt (a redriven inventory.reserved) can never charge afterwards."""
        now = self._clock()
        payment = self.store.payment(order_id)
        step = deadline_step(payment)
        if step is DeadlineStep.NOTHING:
            self._logger.info("the order was cancelled; nothing to settle at its deadline")
            return None
        outcome: Captured | Declined
        if payment is None:
            self.store.record_cancellation(order_id, customer_id, now)
            payment, outcome = Payment(order_id, PaymentStatus.CANCELLED), Declined(DeclineReason.DEADLINE_PASSED)
        elif step is DeadlineStep.GIVE_UP_CHARGE:
            self.store.cancel_intent(order_id, now)
            outcome = Declined(DeclineReason.DEADLINE_PASSED)
        elif step is DeadlineStep.ANNOUNCE:
            outcome = outcome_of(payment)
        else:
            # GatewayUnavailable propagates: the gateway must answer before anything can be said.
            outcome = self._record(payment, self.gateway.void(idempotency_key(order_id)), now)
        self._logger.info(
            "settled at the order's deadline", extra={"step": step.name, "outcome": type(outcome).__name__}
        )
        self.publisher.publish([self._outcome_event(cause, payment, outcome, now)])
        return outcome

    def _charge(self, payment: Payment, now: datetime) -> Captured | Declined:
        """Ask the gateway with the order's key; GatewayUnavailable propagates so the adapter retries."""
        return self._record(
            payment, self.gateway.charge(idempotency_key(payment.order_id), payment.token, payment.amount), now
        )

    def _record(self, payment: Payment, outcome: Captured | Declined | Voided, now: datetime) -> Captured | Declined:
        """The gateway's answer for a payment that is CHARGING, recorded; a void is a decline at the deadline."""
        if isinstance(outcome, Captured):
            self.store.record_capture(payment.order_id, outcome.charge_id, now)
            return outcome
        if isinstance(outcome, Voided):
            self._logger.info("charge voided at the gateway: it never completed by the order's deadline")
            outcome = Declined(DeclineReason.DEADLINE_PASSED)
        else:
            self._logger.info("charge declined", extra={"token": masked(payment.token)})
        self.store.record_decline(payment.order_id, outcome.reason, now)
        return outcome

    def _outcome_event(self, cause: Cause, payment: Payment, outcome: Captured | Declined, now: datetime) -> dict:
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
            event_type, data, source=self.source, correlation_id=cause.correlation_id, causation_id=cause.id
        )

    def _refunded_event(self, cause: Cause, payment: Payment, now: datetime) -> dict:
        return new_event(
            "payment.refunded",
            {
                "orderId": payment.order_id,
                "customerId": payment.customer_id,
                "paymentId": payment.captured_charge,
                "amount": _money(payment.amount),
                "refundedAt": now.isoformat(),
            },
            source=self.source,
            correlation_id=cause.correlation_id,
            causation_id=cause.id,
        )


def _money(money: Money) -> dict:
    return {"amount": money.amount, "currency": money.currency}
