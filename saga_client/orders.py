"""Building POST /orders bodies: one place that knows the API's request shape.

The body names no customer: the API takes the customer from the caller's token.
"""

from typing import Any

UNIT_PRICE = 1250  # minor units; every example line costs 12.50


def order_request(
    *lines: tuple[str, int],
    token: str = "tok_visa",
    country: str = "DE",
    currency: str = "EUR",
) -> dict[str, Any]:
    return {
        "currency": currency,
        "lines": [{"sku": sku, "quantity": quantity, "unitPrice": UNIT_PRICE} for sku, quantity in lines],
        "paymentMethodToken": token,
        "shippingAddress": {
            "recipient": "Ada Lovelace",
            "line1": "1 Analytical Way",
            "city": "Berlin",
            "postalCode": "10115",
            "country": country,
        },
    }
