"""Building orders and waiting for the saga to decide them."""

import uuid
from typing import Any

from saga_client.operations import get_order
from saga_client.target import SagaTarget, eventually


def an_order(
    *lines: tuple[str, int],
    customer: str | None = None,
    token: str = "tok_visa",
    country: str = "DE",
) -> dict[str, Any]:
    return {
        "customerId": customer or f"customer-{uuid.uuid4().hex[:8]}",
        "lines": [
            {"sku": sku, "quantity": quantity, "unitPrice": {"amount": 1250, "currency": "EUR"}}
            for sku, quantity in lines
        ],
        "paymentMethodToken": token,
        "shippingAddress": {
            "recipient": "Ada Lovelace",
            "line1": "1 Analytical Way",
            "city": "Berlin",
            "postalCode": "10115",
            "country": country,
        },
    }


def settled_order(saga: SagaTarget, order_id: str, statuses: set[str], timeout: float) -> dict[str, Any]:
    def status_reached() -> dict[str, Any] | None:
        order = get_order(saga, order_id).body
        return order if order and order.get("status") in statuses else None

    status_reached.__name__ = f"order {order_id} to reach {sorted(statuses)}"
    return eventually(status_reached, timeout=timeout)
