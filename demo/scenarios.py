"""The orders the demo places, and what each should end as."""

from dataclasses import dataclass, field
from typing import Any

from saga_client.orders import order_request

STOCK = {"MUG-RED": 10, "TEA-EARL-GREY": 3}


@dataclass(frozen=True)
class Scenario:
    title: str
    lines: tuple[tuple[str, int], ...]
    expected_status: str
    expected_reason: str | None = None
    token: str = "tok_visa"
    country: str = "DE"
    extra: dict[str, Any] = field(default_factory=dict)

    def order(self) -> dict[str, Any]:
        return order_request(*self.lines, customer="customer-ada", token=self.token, country=self.country)


SCENARIOS = (
    Scenario("in stock: reserved", (("MUG-RED", 2), ("TEA-EARL-GREY", 1)), "STOCK_RESERVED"),
    Scenario("beyond stock: rejected", (("TEA-EARL-GREY", 5),), "CANCELLED", "OUT_OF_STOCK"),
)
