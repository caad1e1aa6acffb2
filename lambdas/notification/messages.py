"""What the customer is told: plain Python, no AWS."""

from dataclasses import dataclass

REASONS_IN_WORDS = {
    "OUT_OF_STOCK": "some items are out of stock",
    "UNKNOWN_SKU": "some items are no longer sold",
    "PAYMENT_DECLINED": "the payment was declined",
    "SHIPPING_UNAVAILABLE": "we cannot ship to the address given",
    "CUSTOMER_REQUEST": "you asked us to cancel it",
    "TIMEOUT": "we could not complete it in time",
}


@dataclass(frozen=True)
class CustomerMessage:
    customer_id: str
    order_id: str
    kind: str
    subject: str
    body: str


def order_confirmed(order_id: str, customer_id: str) -> CustomerMessage:
    return CustomerMessage(
        customer_id,
        order_id,
        "order.confirmed",
        "Your order is confirmed",
        f"Good news: order {order_id} is paid and its shipment is booked.",
    )


def order_cancelled(order_id: str, customer_id: str, reason: str) -> CustomerMessage:
    because = REASONS_IN_WORDS.get(reason, "of a problem on our side")
    return CustomerMessage(
        customer_id,
        order_id,
        "order.cancelled",
        "Your order is cancelled",
        f"Order {order_id} is cancelled because {because}. Anything charged is refunded.",
    )
