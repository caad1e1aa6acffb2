"""The orders the demo places, and what each should end as: one per path through the saga."""

from dataclasses import dataclass
from typing import Any

from saga_client.orders import order_request

STOCK = {"MUG-RED": 10, "TEA-EARL-GREY": 3}
# Every demo order is Ada's: she signs in to the stack's user pool as this user.
DEMO_CUSTOMER = "customer-ada"


@dataclass(frozen=True)
class Scenario:
    title: str
    lines: tuple[tuple[str, int], ...]
    expected_status: str
    expected_reason: str | None = None
    token: str = "tok_visa"
    country: str = "DE"
    cancel_at_once: bool = False

    def order(self) -> dict[str, Any]:
        return order_request(*self.lines, token=self.token, country=self.country)


SCENARIOS = (
    Scenario("happy path", (("MUG-RED", 2), ("TEA-EARL-GREY", 1)), "CONFIRMED"),
    Scenario("out of stock", (("TEA-EARL-GREY", 5),), "CANCELLED", "OUT_OF_STOCK"),
    Scenario("unknown SKU", (("MUG-GOLD", 1),), "CANCELLED", "UNKNOWN_SKU"),
    Scenario("payment declined", (("MUG-RED", 1),), "CANCELLED", "PAYMENT_DECLINED", token="tok_declined"),
    Scenario("country not served", (("MUG-RED", 1),), "CANCELLED", "SHIPPING_UNAVAILABLE", country="JP"),
    Scenario("gateway fails once, retried", (("MUG-RED", 1),), "CONFIRMED", token="tok_flaky"),
    Scenario("customer cancels at once", (("MUG-RED", 1),), "CANCELLED", "CUSTOMER_REQUEST", cancel_at_once=True),
)
