"""The order's rules: what an order is, which status follows which event, when it may be cancelled.

Plain Python: no AWS, no JSON. The order context owns the order's status; every
other context only reports outcomes, and any failure leads here to a cancellation.
"""

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum


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
) -> Order:
    if not lines:
        raise OrderRejected("an order needs at least one line")
    currencies = {line.unit_price.currency for line in lines}
    if len(currencies) > 1:
        raise OrderRejected(f"all lines must be priced in one currency, got {sorted(currencies)}")
    return Order(order_id, customer_id, lines, payment_method_token, shipping_address, now)


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
}


def reason_for_failure(event_type: str, reported_reason: str) -> CancellationReason | None:
    """The cancellation a participant's failure calls for; None if it needs none.

    A participant that refused because the order was already cancelled reports
    ORDER_CANCELLED: the order is cancelled already, there is nothing to decide.
    """
    return FAILURE_REASONS.get((event_type, reported_reason))


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
