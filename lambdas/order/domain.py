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
    CONFIRMED = "CONFIRMED"
    CANCELLED = "CANCELLED"


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

    @property
    def is_open(self) -> bool:
        return self.status not in (OrderStatus.CONFIRMED, OrderStatus.CANCELLED)


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
    """The new order, or None when the event changes nothing (late or repeated)."""
    if order.status is not OrderStatus.PENDING:
        return None
    return _advance(order, OrderStatus.STOCK_RESERVED)


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
