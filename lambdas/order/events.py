"""The integration events the order context publishes, built from the domain's Order."""

from datetime import datetime
from typing import Any

from saga_events import new_event

from order.domain import Order

SOURCE = "saga.order"


def order_placed(order: Order, request_id: str) -> list[dict[str, Any]]:
    """Every live major version of order.placed: v1 until payment and shipping move to v2."""
    return [_order_placed_v1(order, request_id), _order_placed_v2(order, request_id)]


def _lines(order: Order) -> list[dict[str, Any]]:
    return [
        {
            "sku": line.sku,
            "quantity": line.quantity,
            "unitPrice": {"amount": line.unit_price.amount, "currency": line.unit_price.currency},
        }
        for line in order.lines
    ]


def _order_placed_v2(order: Order, request_id: str) -> dict[str, Any]:
    total = order.total
    return new_event(
        "order.placed",
        {
            "orderId": order.order_id,
            "customerId": order.customer_id,
            "lines": _lines(order),
            "total": {"amount": total.amount, "currency": total.currency},
            "shippingCountry": order.shipping_address.country,
            "placedAt": order.placed_at.isoformat(),
        },
        source=SOURCE,
        correlation_id=order.order_id,
        causation_id=request_id,
        time=order.placed_at,
        version=2,
    )


def _order_placed_v1(order: Order, request_id: str) -> dict[str, Any]:
    total = order.total
    return new_event(
        "order.placed",
        {
            "orderId": order.order_id,
            "customerId": order.customer_id,
            "lines": _lines(order),
            "total": {"amount": total.amount, "currency": total.currency},
            "paymentMethodToken": order.payment_method_token,
            "shippingAddress": {
                "recipient": order.shipping_address.recipient,
                "line1": order.shipping_address.line1,
                "city": order.shipping_address.city,
                "postalCode": order.shipping_address.postal_code,
                "country": order.shipping_address.country,
            },
            "placedAt": order.placed_at.isoformat(),
        },
        source=SOURCE,
        correlation_id=order.order_id,
        causation_id=request_id,
        time=order.placed_at,
    )


def order_cancelled(order: Order, causation_id: str, detail: str, now: datetime) -> dict[str, Any]:
    assert order.cancellation_reason is not None
    return new_event(
        "order.cancelled",
        {
            "orderId": order.order_id,
            "customerId": order.customer_id,
            "reason": order.cancellation_reason.value,
            "detail": detail[:500],
            "cancelledAt": now.isoformat(),
        },
        source=SOURCE,
        correlation_id=order.order_id,
        causation_id=causation_id,
        time=now,
    )


def order_confirmed(order: Order, causation_id: str, now: datetime) -> dict[str, Any]:
    return new_event(
        "order.confirmed",
        {"orderId": order.order_id, "customerId": order.customer_id, "confirmedAt": now.isoformat()},
        source=SOURCE,
        correlation_id=order.order_id,
        causation_id=causation_id,
        time=now,
    )
