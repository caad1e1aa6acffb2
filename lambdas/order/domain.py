"""The order's rules: what an order is, which status follows which event, when it may be cancelled,
and what ends a saga that never finished by its deadline.

Plain Python: no AWS, no JSON. The order context owns the order's status; every
other context only reports outcomes, and any failure leads here to a cancellation.
"""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import Enum, StrEnum


class OrderStatus(StrEnum):
    PENDING = "PENDING"
    STOCK_RESERVED = "STOCK_RESERVED"
    PAID = "PAID"
    CONFIRMED = "CONFIRMED"
    CANCELLED = "CANCELLED"


# How far each status has come. Participants' queues are not ordered, so an outcome can
# arrive after a later one (payment.captured before inventory.reserved): an order only
# ever moves forward, and an outcome that would move it back changes nothing.
_PROGRESS = {
    OrderStatus.PENDING: 0,
    OrderStatus.STOCK_RESERVED: 1,
    OrderStatus.PAID: 2,
    OrderStatus.CONFIRMED: 3,
}


class CancellationReason(StrEnum):
    OUT_OF_STOCK = "OUT_OF_STOCK"
    UNKNOWN_SKU = "UNKNOWN_SKU"
    PAYMENT_DECLINED = "PAYMENT_DECLINED"
    SHIPPING_UNAVAILABLE = "SHIPPING_UNAVAILABLE"
    CUSTOMER_REQUEST = "CUSTOMER_REQUEST"
    # The saga did not finish by the order's deadline (the sweeper's decision).
    TIMEOUT = "TIMEOUT"


class OrderRejected(ValueError):
    """The request cannot become an order; the message says why, for the customer."""


@dataclass(frozen=True)
class Money:
    amount: int  # minor units
    currency: str


@dataclass(frozen=True)
class OrderLine:
    sku: str
    quantity: int
    unit_price: Money


@dataclass(frozen=True)
class ShippingAddress:
    recipient: str
    line1: str
    city: str
    postal_code: str
    country: str


@dataclass(frozen=True)
class Order:
    order_id: str
    customer_id: str
    lines: tuple[OrderLine, ...]
    payment_method_token: str
    shipping_address: ShippingAddress
    placed_at: datetime
    status: OrderStatus = OrderStatus.PENDING
    cancellation_reason: CancellationReason | None = None
    version: int = 1
    # When the saga must have finished; None only for orders placed before deadlines existed.
    deadline: datetime | None = None
    # When the sweeper told payment the deadline had passed (order.deadline-passed), if it has.
    deadline_passed_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        """Not yet CONFIRMED or CANCELLED: its saga is still running."""
        return self.status not in (OrderStatus.CONFIRMED, OrderStatus.CANCELLED)

    @property
    def total(self) -> Money:
        return Money(
            sum(line.unit_price.amount * line.quantity for line in self.lines),
            self.lines[0].unit_price.currency,
        )


def place_order(
    order_id: str,
    customer_id: str,
    lines: tuple[OrderLine, ...],
    payment_method_token: str,
    shipping_address: ShippingAddress,
    now: datetime,
    *,
    time_allowed: timedelta,
) -> Order:
    """A new order, which must be decided within `time_allowed` (the stack's order deadline)."""
    if not lines:
        raise OrderRejected("an order needs at least one line")
    currencies = {line.unit_price.currency for line in lines}
    if len(currencies) > 1:
        raise OrderRejected(f"all lines must be priced in one currency, got {sorted(currencies)}")
    return Order(order_id, customer_id, lines, payment_method_token, shipping_address, now, deadline=now + time_allowed)


def stock_reserved(order: Order) -> Order | None:
    """The new order, or None when the event changes nothing (late, repeated, or cancelled)."""
    return _move_forward(order, OrderStatus.STOCK_RESERVED)


def payment_captured(order: Order) -> Order | None:
    return _move_forward(order, OrderStatus.PAID)


def shipment_scheduled(order: Order) -> Order | None:
    """Stock held, paid, and a shipment booked: the order is confirmed."""
    return _move_forward(order, OrderStatus.CONFIRMED)


def _move_forward(order: Order, status: OrderStatus) -> Order | None:
    if order.status is OrderStatus.CANCELLED or _PROGRESS[order.status] >= _PROGRESS[status]:
        return None
    return _advance(order, status)


# Which participant failure cancels an order, and with which reason.
FAILURE_REASONS = {
    ("inventory.reservation-rejected", "OUT_OF_STOCK"): CancellationReason.OUT_OF_STOCK,
    ("inventory.reservation-rejected", "UNKNOWN_SKU"): CancellationReason.UNKNOWN_SKU,
    ("payment.declined", "CARD_DECLINED"): CancellationReason.PAYMENT_DECLINED,
    ("shipping.failed", "COUNTRY_NOT_SERVED"): CancellationReason.SHIPPING_UNAVAILABLE,
    # Payment voided a charge that had not completed when told the deadline passed.
    ("payment.declined", "DEADLINE_PASSED"): CancellationReason.TIMEOUT,
}


def reason_for_failure(
    event_type: str, reported_reason: str, *, orchestrated: bool = False
) -> CancellationReason | None:
    """The cancellation a participant's failure calls for; None if it needs none.

    A participant that refused because the order was already cancelled reports
    ORDER_CANCELLED: the order is cancelled already, there is nothing to decide.
    Orchestrated, a step's failure is the state machine's to cancel (its Catch compensates, then
    CancelOrder cancels under the id every participant derives its compensation from): the event
    is news for the timeline. A failure no step reports (the deadline's void) still cancels.
    """
    reason = FAILURE_REASONS.get((event_type, reported_reason))
    if orchestrated and reason in STEP_FAILURE_REASONS.values():
        return None
    return reason


# The orchestrated saga's business failures (the tasks' error names, contracts/catalog.yaml) and the
# cancellation each calls for: the same reasons as the participants' failure events above.
STEP_FAILURE_REASONS = {
    "OutOfStock": CancellationReason.OUT_OF_STOCK,
    "UnknownSku": CancellationReason.UNKNOWN_SKU,
    "PaymentDeclined": CancellationReason.PAYMENT_DECLINED,
    "CountryNotServed": CancellationReason.SHIPPING_UNAVAILABLE,
}
# Cancelled meanwhile (the customer, the sweeper): the order has its reason already.
ALREADY_CANCELLED = "OrderCancelled"


def reason_for_step_failure(error: str) -> CancellationReason | None:
    """The cancellation a failed step calls for; None if the order was cancelled meanwhile. Any
    other error (a step's retries spent, a crash, an execution input that breaks the task
    contract: SagaInputInvalid) means the saga could not finish: TIMEOUT."""
    if error == ALREADY_CANCELLED:
        return None
    return STEP_FAILURE_REASONS.get(error, CancellationReason.TIMEOUT)


def cancel(order: Order, reason: CancellationReason) -> Order | None:
    """Cancel an open order. None when it is already cancelled (nothing more to undo)."""
    if order.status is OrderStatus.CANCELLED:
        return None
    if order.status is OrderStatus.CONFIRMED:
        raise CannotCancel(f"order {order.order_id} is already confirmed")
    return replace(_advance(order, OrderStatus.CANCELLED), cancellation_reason=reason)


class CannotCancel(RuntimeError):
    """The order has gone too far to be cancelled."""


def _advance(order: Order, status: OrderStatus) -> Order:
    return replace(order, status=status, version=order.version + 1)


class OverdueStep(Enum):
    NOTHING = "not past its deadline, or decided already"
    # Stock is held and a charge may be in doubt (the gateway down past every retry): only payment
    # can find out from the gateway whether money was taken, so it is asked first.
    ASK_PAYMENT = "tell payment the deadline passed, so it settles the charge with the gateway"
    WAIT_FOR_PAYMENT = "payment was told; give the saga the grace to finish on its answer"
    CANCEL = "cancel the order with reason TIMEOUT"


def overdue_step(order: Order, now: datetime, grace: timedelta) -> OverdueStep:
    """What the sweeper does with an order at `now`.

    Only a STOCK_RESERVED order can have a charge in doubt (payment charges once stock is held and
    has not reported): payment settles it with the gateway and reports the real outcome, which
    confirms or cancels the order as any outcome does. Pending, nothing was charged; paid, the
    charge is known and the saga is stuck after it: either way the order is cancelled at once, and
    the cancellation compensates as any does. Once payment was asked, the saga has `grace` to finish
    on its answer (a capture it reports still has to be shipped), whatever the order's status
    meanwhile; an order still open after it is cancelled too.
    """
    if not order.is_open or order.deadline is None or now < order.deadline:
        return OverdueStep.NOTHING
    if order.deadline_passed_at is not None:
        return OverdueStep.WAIT_FOR_PAYMENT if now < order.deadline_passed_at + grace else OverdueStep.CANCEL
    if order.status is OrderStatus.STOCK_RESERVED:
        return OverdueStep.ASK_PAYMENT
    return OverdueStep.CANCEL


def deadline_passed(order: Order, now: datetime) -> Order:
    """The order, noted as past its deadline with payment told (once: a second sweep waits)."""
    if order.deadline_passed_at is not None:
        raise ValueError(f"order {order.order_id}: payment was told its deadline passed already")
    return replace(order, deadline_passed_at=now, version=order.version + 1)
