"""Payment's rules: charge an order at most once, and give the money back if the order is cancelled.

Plain Python: no AWS, no JSON. A payment is a small state machine

    (none) ─► INTENT ─► CHARGING ─► CAPTURED ─► REFUNDED
       │         │                └► DECLINED
       └─────────┴─► CANCELLED (tombstone)

and the store makes every arrow a conditional write whose condition is `sources_of`
the target state, so a cancellation racing a charge makes one side retry and can never
leave money taken for a cancelled order.
"""

from dataclasses import dataclass, replace
from enum import Enum, StrEnum


class PaymentStatus(StrEnum):
    INTENT = "INTENT"
    # Written before the gateway is called: from here on a charge may exist at the provider.
    CHARGING = "CHARGING"
    CAPTURED = "CAPTURED"
    DECLINED = "DECLINED"
    REFUNDED = "REFUNDED"
    # A tombstone: the order was cancelled before anything was charged.
    CANCELLED = "CANCELLED"


class DeclineReason(StrEnum):
    CARD_DECLINED = "CARD_DECLINED"
    # Nothing was charged by the order's deadline: what never completed was voided at the gateway.
    DEADLINE_PASSED = "DEADLINE_PASSED"


# `None` is "no record yet": only an intent or a tombstone can be the first thing we know.
_NEXT: dict[PaymentStatus | None, frozenset[PaymentStatus]] = {
    None: frozenset({PaymentStatus.INTENT, PaymentStatus.CANCELLED}),
    PaymentStatus.INTENT: frozenset({PaymentStatus.CHARGING, PaymentStatus.CANCELLED}),
    PaymentStatus.CHARGING: frozenset({PaymentStatus.CAPTURED, PaymentStatus.DECLINED}),
    PaymentStatus.CAPTURED: frozenset({PaymentStatus.REFUNDED}),
    PaymentStatus.DECLINED: frozenset(),
    PaymentStatus.REFUNDED: frozenset(),
    PaymentStatus.CANCELLED: frozenset(),
}


class IllegalTransition(RuntimeError):
    """The payment is no longer where the decision assumed: re-read and decide again."""


class IntentNotYetKnown(RuntimeError):
    """inventory.reserved overtook order.placed (queues are unordered): retry the message later."""


class ChargeInFlight(RuntimeError):
    """A charge may be under way at the gateway: retry the cancellation once it has settled."""


@dataclass(frozen=True)
class Money:
    amount: int  # minor units (cents)
    currency: str


@dataclass(frozen=True)
class Captured:
    charge_id: str


@dataclass(frozen=True)
class Declined:
    reason: DeclineReason = DeclineReason.CARD_DECLINED


@dataclass(frozen=True)
class Voided:
    """The gateway will never complete a charge for this key: nothing was, or will be, taken."""


@dataclass(frozen=True)
class Payment:
    order_id: str
    status: PaymentStatus
    customer_id: str = ""
    total: Money | None = None
    # The provider's opaque token, never card data; kept only until the charge settles.
    payment_method_token: str | None = None
    charge_id: str | None = None
    refund_id: str | None = None
    decline_reason: DeclineReason | None = None

    # A tombstone never saw the order, so only what came from an intent can be asked for.
    @property
    def amount(self) -> Money:
        if self.total is None:
            raise IllegalTransition(f"payment for {self.order_id} has no amount ({self.status})")
        return self.total

    @property
    def token(self) -> str:
        if self.payment_method_token is None:
            raise IllegalTransition(f"payment for {self.order_id} has no payment method token ({self.status})")
        return self.payment_method_token

    @property
    def captured_charge(self) -> str:
        if self.charge_id is None:
            raise IllegalTransition(f"payment for {self.order_id} has no charge ({self.status})")
        return self.charge_id


class ChargeStep(Enum):
    CHARGE = "mark the payment CHARGING, then ask the gateway"
    # An earlier attempt stopped after marking CHARGING (gateway down, or a crash):
    # asking again with the same idempotency key returns that attempt's charge, if any.
    RESUME_CHARGE = "ask the gateway again with the same key"
    # The charge path announces an outcome before it records it, so a settled payment is one whose
    # outcome is out: a repeat of inventory.reserved has nothing left to do. (A settlement recorded
    # at the deadline is announced by order.deadline-passed's own retries.)
    SETTLED = "the charge has settled and its outcome was announced; do nothing"
    NOTHING = "the order is cancelled; charge nothing"


class CancellationStep(Enum):
    CANCEL_INTENT = "nothing charged yet; turn the intent into a tombstone"
    REFUND = "give the captured money back"
    ANNOUNCE_REFUND = "already refunded; publish the refund again"
    NOTHING = "nothing was taken"


class DeadlineStep(Enum):
    # The charge's outcome never reached us (the gateway down past every retry): the gateway knows.
    SETTLE_WITH_GATEWAY = "ask the gateway: take a capture it made, void a charge it never completed"
    ANNOUNCE = "the charge settled; publish its outcome again (the first may be lost)"
    # Never charged: make sure nothing ever will be, and say so.
    GIVE_UP_CHARGE = "record that nothing will be charged, and report the order declined"
    NOTHING = "the order was cancelled; nothing to settle"


def deadline_step(payment: Payment | None) -> DeadlineStep:
    """What order.deadline-passed means for this order's payment (None: we never heard of the order)."""
    if payment is None:
        return DeadlineStep.GIVE_UP_CHARGE
    return {
        PaymentStatus.INTENT: DeadlineStep.GIVE_UP_CHARGE,
        PaymentStatus.CHARGING: DeadlineStep.SETTLE_WITH_GATEWAY,
        PaymentStatus.CAPTURED: DeadlineStep.ANNOUNCE,
        PaymentStatus.DECLINED: DeadlineStep.ANNOUNCE,
        PaymentStatus.REFUNDED: DeadlineStep.NOTHING,
        PaymentStatus.CANCELLED: DeadlineStep.NOTHING,
    }[payment.status]


def sources_of(target: PaymentStatus) -> frozenset[PaymentStatus | None]:
    """The states a payment may enter `target` from: the condition of the store's write."""
    return frozenset(source for source, targets in _NEXT.items() if target in targets)


def can_move(source: PaymentStatus | None, target: PaymentStatus) -> bool:
    return target in _NEXT[source]


def advance(payment: Payment, target: PaymentStatus, **changes: object) -> Payment:
    """The payment in `target`, or IllegalTransition if the state machine has no such arrow."""
    if not can_move(payment.status, target):
        raise IllegalTransition(f"payment for {payment.order_id}: {payment.status} → {target} is not allowed")
    return replace(payment, status=target, **changes)


def require_intent(payment: Payment | None) -> Payment:
    """The payment to charge; without one, order.placed is still on its way and we must wait."""
    if payment is None:
        raise IntentNotYetKnown("no payment intent for this order yet")
    return payment


def charge_step(payment: Payment) -> ChargeStep:
    """What inventory.reserved means for this order's payment."""
    return {
        PaymentStatus.INTENT: ChargeStep.CHARGE,
        PaymentStatus.CHARGING: ChargeStep.RESUME_CHARGE,
        PaymentStatus.CAPTURED: ChargeStep.SETTLED,
        PaymentStatus.DECLINED: ChargeStep.SETTLED,
        # Refunded means cancelled after capture: announcing the capture again would
        # make shipping book a cancelled order.
        PaymentStatus.REFUNDED: ChargeStep.NOTHING,
        PaymentStatus.CANCELLED: ChargeStep.NOTHING,
    }[payment.status]


def cancellation_step(payment: Payment) -> CancellationStep:
    """What order.cancelled means for a payment we know (none known: record a tombstone)."""
    if payment.status is PaymentStatus.CHARGING:
        raise ChargeInFlight("a charge for this order has not settled yet")
    return {
        PaymentStatus.INTENT: CancellationStep.CANCEL_INTENT,
        PaymentStatus.CAPTURED: CancellationStep.REFUND,
        PaymentStatus.REFUNDED: CancellationStep.ANNOUNCE_REFUND,
        PaymentStatus.DECLINED: CancellationStep.NOTHING,
        PaymentStatus.CANCELLED: CancellationStep.NOTHING,
    }[payment.status]


def outcome_of(payment: Payment) -> Captured | Declined:
    """The settled charge's outcome, so a redelivered order.deadline-passed repeats it."""
    if payment.status is PaymentStatus.CAPTURED:
        return Captured(payment.captured_charge)
    if payment.status is PaymentStatus.DECLINED:
        return Declined(payment.decline_reason or DeclineReason.CARD_DECLINED)
    raise IllegalTransition(f"payment for {payment.order_id} has no settled charge ({payment.status})")


def idempotency_key(order_id: str) -> str:
    """One order, one key: however often we ask the gateway, it charges the order once."""
    return f"order-{order_id}"


def masked(token: str) -> str:
    """Enough of a payment method token to tell two apart in a log, and no more: its last two
    characters, never a run of four (the common `tok_` prefix included)."""
    return f"…{token[-2:]}" if len(token) > 8 else "…"
