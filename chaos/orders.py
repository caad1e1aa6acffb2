"""The orders a chaos run places: every kind of saga path, drawn from a seed.

A few SKUs are shared by most orders, with less stock than all of them want, so
reservations compete and some orders are rejected for stock they would have had alone.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from saga_client.orders import order_request


class OrderKind(StrEnum):
    HAPPY = "happy"
    DECLINED = "declined"
    FLAKY = "flaky"
    UNSERVED_COUNTRY = "unserved-country"
    OUT_OF_STOCK = "out-of-stock"
    UNKNOWN_SKU = "unknown-sku"
    CUSTOMER_CANCEL = "customer-cancel"
    REPEATED_POST = "repeated-post"


# How often each kind is drawn: mostly orders that go far into the saga.
_WEIGHTS = {
    OrderKind.HAPPY: 30,
    OrderKind.DECLINED: 10,
    OrderKind.FLAKY: 10,
    OrderKind.UNSERVED_COUNTRY: 8,
    OrderKind.OUT_OF_STOCK: 8,
    OrderKind.UNKNOWN_SKU: 6,
    OrderKind.CUSTOMER_CANCEL: 16,
    OrderKind.REPEATED_POST: 12,
}
CONTENDED_SKUS = ("CHAOS-LAMP", "CHAOS-DESK", "CHAOS-CHAIR")
SCARCE_SKU = "CHAOS-RARE-VASE"
SCARCE_STOCK = 3
# Not in servedCountries of any shipped stack config.
UNSERVED_COUNTRY = "JP"


@dataclass(frozen=True)
class PlannedOrder:
    number: int
    kind: OrderKind
    request: dict[str, Any]
    # Who places it (signed in by this name); a repeat or a cancel is the same customer's.
    customer: str
    idempotency_key: str
    # Seconds after the first answer at which the customer cancels (customer-cancel only).
    cancel_after: float | None = None
    # How many times the same POST is sent with the same Idempotency-Key.
    posts: int = 1


@dataclass(frozen=True)
class ChaosOrders:
    orders: tuple[PlannedOrder, ...]
    initial_stock: dict[str, int]


def plan_orders(count: int, seed: int) -> ChaosOrders:
    draw = random.Random(f"{seed}:orders")
    customers = [f"chaos-{seed}-customer-{n:03d}" for n in range(max(1, count // 4))]
    kinds = list(_WEIGHTS)
    weights = [_WEIGHTS[k] for k in kinds]
    orders = []
    for number in range(count):
        kind = draw.choices(kinds, weights)[0]
        lines = [(sku, draw.randint(1, 3)) for sku in draw.sample(CONTENDED_SKUS, draw.randint(1, 2))]
        token, country, cancel_after, posts = "tok_visa", "DE", None, 1
        if kind is OrderKind.DECLINED:
            token = "tok_declined"
        elif kind is OrderKind.FLAKY:
            token = "tok_flaky"
        elif kind is OrderKind.UNSERVED_COUNTRY:
            country = UNSERVED_COUNTRY
        elif kind is OrderKind.OUT_OF_STOCK:
            lines.append((SCARCE_SKU, SCARCE_STOCK + draw.randint(1, 5)))
        elif kind is OrderKind.UNKNOWN_SKU:
            lines.append((f"CHAOS-NO-SUCH-{number}", 1))
        elif kind is OrderKind.CUSTOMER_CANCEL:
            cancel_after = round(draw.uniform(0.0, 2.0), 2)
        elif kind is OrderKind.REPEATED_POST:
            posts = draw.randint(2, 3)
        request = order_request(*lines, token=token, country=country)
        orders.append(
            PlannedOrder(
                number=number,
                kind=kind,
                request=request,
                customer=draw.choice(customers),
                idempotency_key=f"chaos-{seed}-{number}",
                cancel_after=cancel_after,
                posts=posts,
            )
        )
    # About two thirds of what the orders ask for: enough contention that stock runs out.
    wanted = {sku: 0 for sku in CONTENDED_SKUS}
    for order in orders:
        for line in order.request["lines"]:
            if line["sku"] in wanted:
                wanted[line["sku"]] += line["quantity"]
    stock = {sku: max(1, total * 2 // 3) for sku, total in wanted.items()}
    stock[SCARCE_SKU] = SCARCE_STOCK
    return ChaosOrders(tuple(orders), stock)
