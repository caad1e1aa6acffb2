"""`order <id>`: the whole story of one order: its events, every context's state, its dead letters.

Each context's state is read from its own tables (its outputs name them): any table keyed on
`orderId` is read by key, whatever the context, and the tables keyed otherwise are read as their
context stores them. Every query and scan follows LastEvaluatedKey (boto3's paginators).
Payment tokens and addresses stay out of what is shown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from ops import dead_letters, event_log
from ops.stack import Stack
from saga_client import SagaTarget

_deserialize = TypeDeserializer().deserialize
# Never printed: what a customer paid with and where they live.
_WITHHELD = {"paymentMethodToken", "token", "shippingAddress", "address", "line1", "recipient", "postalCode"}
_NOT_STATE = {"idempotency"}


@dataclass(frozen=True)
class OrderStory:
    order_id: str
    events: list[event_log.LoggedEvent]
    # context -> table -> the items of that table about the order
    state: dict[str, dict[str, list[dict[str, Any]]]]
    dead_letters: list[dead_letters.DeadLetter]

    def as_json(self) -> dict[str, Any]:
        return {
            "orderId": self.order_id,
            "events": [e.as_json() for e in self.events],
            "state": self.state,
            "deadLetters": [d.as_json() for d in self.dead_letters],
        }


def tell(stack: Stack, order_id: str) -> OrderStory:
    target = stack.target
    contexts = stack.contexts()
    order = next(iter(_orders(target, "order", "orders", order_id, None) or []), None)
    state: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for context in contexts:
        for table in target.context(context)["tables"]:
            if table in _NOT_STATE:
                continue
            reader = _READERS.get((context, table), _by_order_id)
            items = reader(target, context, table, order_id, order)
            if items is not None:  # None: the table holds nothing about single orders
                state.setdefault(context, {})[table] = [_shown(item) for item in items]
    return OrderStory(
        order_id,
        event_log.events_of(target, order_id),
        state,
        dead_letters.mentioning(target, contexts, order_id),
    )


def _orders(target: SagaTarget, context: str, table: str, order_id: str, order: dict | None) -> list[dict] | None:
    # The order itself; its timeline entries are the events, shown from the event log.
    return _query(
        target,
        context,
        table,
        "pk = :pk AND sk = :order",
        {":pk": {"S": f"ORDER#{order_id}"}, ":order": {"S": "ORDER"}},
    )


def _ledger(target: SagaTarget, context: str, table: str, order_id: str, order: dict | None) -> list[dict] | None:
    if order is None:
        return []
    entries = _query(target, context, table, "customerId = :c", {":c": {"S": order["customerId"]}})
    return [entry for entry in entries if entry.get("orderId") == order_id]


def _gateway(target: SagaTarget, context: str, table: str, order_id: str, order: dict | None) -> list[dict] | None:
    """The simulated provider's side: the order's idempotency key and every charge taken under it."""
    key = f"order-{order_id}"
    pages = (
        target.client("dynamodb")
        .get_paginator("scan")
        .paginate(
            TableName=target.table(context, table),
            FilterExpression="chargeKey = :key OR idempotencyKey = :idem",
            ExpressionAttributeValues={":key": {"S": f"key#{key}"}, ":idem": {"S": key}},
            ConsistentRead=True,
        )
    )
    return [_plain(item) for page in pages for item in page.get("Items", [])]


def _by_order_id(target: SagaTarget, context: str, table: str, order_id: str, order: dict | None) -> list[dict] | None:
    name = target.table(context, table)
    keys = target.client("dynamodb").describe_table(TableName=name)["Table"]["KeySchema"]
    hash_key = next(k["AttributeName"] for k in keys if k["KeyType"] == "HASH")
    if hash_key != "orderId":
        return None
    if len(keys) == 1:
        item = (
            target.client("dynamodb")
            .get_item(TableName=name, Key={"orderId": {"S": order_id}}, ConsistentRead=True)
            .get("Item")
        )
        return [] if item is None else [_plain(item)]
    return _query(target, context, table, "orderId = :o", {":o": {"S": order_id}})


def _stock(target: SagaTarget, context: str, table: str, order_id: str, order: dict | None) -> list[dict] | None:
    """The stock now of each SKU the order asked for."""
    if order is None:
        return []
    skus = sorted({line["sku"] for line in order.get("lines", [])})
    found = []
    for sku in skus:
        item = (
            target.client("dynamodb")
            .get_item(TableName=target.table(context, table), Key={"sku": {"S": sku}}, ConsistentRead=True)
            .get("Item")
        )
        found.append(_plain(item) if item else {"sku": sku, "available": None})
    return found


_READERS: dict[tuple[str, str], Callable[[SagaTarget, str, str, str, dict | None], list[dict] | None]] = {
    ("inventory", "stock"): _stock,
    ("order", "orders"): _orders,
    ("loyalty", "ledger"): _ledger,
    ("payment", "gateway"): _gateway,
}


def _query(target: SagaTarget, context: str, table: str, condition: str, values: dict[str, Any]) -> list[dict]:
    pages = (
        target.client("dynamodb")
        .get_paginator("query")
        .paginate(
            TableName=target.table(context, table),
            KeyConditionExpression=condition,
            ExpressionAttributeValues=values,
            ConsistentRead=True,
        )
    )
    return [_plain(item) for page in pages for item in page.get("Items", [])]


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    return {name: _deserialize(value) for name, value in item.items()}


def _shown(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: ("(withheld)" if k in _WITHHELD else _shown(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_shown(v) for v in value]
    if hasattr(value, "as_integer_ratio") and not isinstance(value, bool | int | float):
        return int(value) if value == int(value) else float(value)  # DynamoDB's Decimal
    return value
