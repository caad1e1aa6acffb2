"""The integration events the order context publishes, built from the domain's Order."""

from datetime import datetime
from typing import Any

from saga_events import new_event
from saga_events.events import cancellation_id
from saga_events.sealing import FieldSealer

from order.domain import Order


def order_placed(order: Order, request_id: str, sealer: FieldSealer, *, source: str) -> list[dict[str, Any]]:
    """Every live major version of order.placed: v3 alone (inventory, payment and shipping read it).

    `source` is the order context's, from the catalog (the function's EVENT_SOURCE).
    """
    address = order.shipping_address
    # The token and the street address travel encrypted, each for the one context that reads it
    # (the schema says which); the destination country in clear.
    v3_only = {
        "shippingCountry": address.country,
        "encryptedPaymentMethodToken": sealer.seal(
            "order.placed", 3, "encryptedPaymentMethodToken", order.order_id, order.payment_method_token
        ),
        "encryptedShippingAddress": sealer.seal(
            "order.placed",
            3,
            "encryptedShippingAddress",
            order.order_id,
            {
                "recipient": address.recipient,
                "line1": address.line1,
                "city": address.city,
                "postalCode": address.postal_code,
                "country": address.country,
            },
        ),
    }
    return [_placed(order, request_id, 3, v3_only, source)]


def _placed(order: Order, request_id: str, version: int, fields: dict[str, Any], source: str) -> dict[str, Any]:
    total = order.total
    return new_event(
        "order.placed",
        {
            "orderId": order.order_id,
            "customerId": order.customer_id,
            "lines": [
                {
                    "sku": line.sku,
                    "quantity": line.quantity,
                    "unitPrice": {"amount": line.unit_price.amount, "currency": line.unit_price.currency},
                }
                for line in order.lines
            ],
            "total": {"amount": total.amount, "currency": total.currency},
            **fields,
            "placedAt": order.placed_at.isoformat(),
        },
        source=source,
        correlation_id=order.order_id,
        causation_id=request_id,
        time=order.placed_at,
        version=version,
    )


def order_cancelled(order: Order, causation_id: str, detail: str, now: datetime, *, source: str) -> dict[str, Any]:
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
        source=source,
        correlation_id=order.order_id,
        causation_id=causation_id,
        time=now,
        event_id=cancellation_id(order.order_id),
    )


def order_confirmed(order: Order, causation_id: str, now: datetime, *, source: str) -> dict[str, Any]:
    return new_event(
        "order.confirmed",
        {"orderId": order.order_id, "customerId": order.customer_id, "confirmedAt": now.isoformat()},
        source=source,
        correlation_id=order.order_id,
        causation_id=causation_id,
        time=now,
    )


def order_deadline_passed(
    order: Order, causation_id: str, now: datetime, *, source: str, event_id: str | None = None
) -> dict[str, Any]:
    assert order.deadline is not None
    return new_event(
        "order.deadline-passed",
        {
            "orderId": order.order_id,
            "customerId": order.customer_id,
            "deadline": order.deadline.isoformat(),
            "passedAt": now.isoformat(),
        },
        source=source,
        correlation_id=order.order_id,
        causation_id=causation_id,
        time=now,
        event_id=event_id,
    )
