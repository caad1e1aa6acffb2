"""DynamoDB adapter for orders and their timeline, which is also their outbox: one partition per order.

Item kinds in the orders table (pk = "ORDER#<id>"):
  sk "ORDER"                the order itself, with a version for optimistic locking
  sk "TIMELINE#<event id>"  an event the order published (kind "outbox": its INSERT on the table's
                            stream feeds the outbox relay) or received (kind "timeline")

An order change and the events it causes are written in one transaction: the event
is published if and only if the change happened (transactional outbox). The timeline entry
of a published event is its outbox item, one item rather than two, and an event's entry is
keyed on its id alone, so the same event received twice, even re-announced with a new time,
is one entry: the first.

An open order (not CONFIRMED or CANCELLED) also carries `openShard` beside its `deadline`: the keys
of the sparse index OPEN_ORDERS_INDEX, which holds open orders alone, by deadline. The sweeper
queries it for what is overdue instead of scanning every order and event; a decided order's write
drops `openShard`, and with it its index entry. Open orders are spread over OPEN_SHARDS index
partitions, so placing orders never writes to one hot index key.
"""

import json
import zlib
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError
from saga_events.validation import validate_event

from order.domain import (
    CancellationReason,
    Money,
    Order,
    OrderLine,
    OrderStatus,
    ShippingAddress,
)

_serialize = TypeSerializer().serialize
_deserializer = TypeDeserializer()


OPEN_ORDERS_INDEX = "open-orders-by-deadline"
OPEN_SHARD_ATTRIBUTE = "openShard"
DEADLINE_ATTRIBUTE = "deadline"
OPEN_SHARDS = 4


class OrderChanged(RuntimeError):
    """Someone else changed the order since we read it; retry with a fresh read."""


class OrderExists(RuntimeError):
    pass


class OrderStore:
    def __init__(self, dynamodb_client: Any, table: str) -> None:
        self._db = dynamodb_client
        self._table = table

    def get(self, order_id: str) -> Order | None:
        item = self._db.get_item(TableName=self._table, Key=_key(order_id, "ORDER"), ConsistentRead=True).get("Item")
        return None if item is None else _order_from_item(_plain(item))

    def timeline(self, order_id: str) -> list[dict[str, Any]]:
        """The events this order published or received, oldest first."""
        # Every page: events carry their whole payload, so a busy order's timeline can pass 1 MB.
        pages = self._db.get_paginator("query").paginate(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :timeline)",
            ExpressionAttributeValues={
                ":pk": {"S": f"ORDER#{order_id}"},
                ":timeline": {"S": "TIMELINE#"},
            },
            ConsistentRead=True,
        )
        events = [json.loads(_plain(item)["event"]) for page in pages for item in page["Items"]]
        return sorted(events, key=lambda event: (event["time"], event["id"]))

    def add(self, order: Order, events: list[dict[str, Any]], now: datetime) -> None:
        """Store a new order with the events that announce it."""
        put = {
            "Put": {
                "TableName": self._table,
                "Item": _order_item(order),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }
        try:
            self._transact([put, *self._event_writes(order.order_id, events)])
        except OrderChanged as error:
            raise OrderExists(order.order_id) from error

    def save(self, order: Order, events: list[dict[str, Any]], now: datetime) -> None:
        """Store a changed order (if nobody changed it meanwhile) with the events it causes."""
        item = _order_item(order)
        condition = {
            "ConditionExpression": "version = :previous",
            "ExpressionAttributeValues": {":previous": {"N": str(order.version - 1)}},
        }
        if not events:
            # One item needs no transaction, which would cost twice the write units.
            try:
                self._db.put_item(TableName=self._table, Item=item, **condition)
            except ClientError as error:
                if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                    raise OrderChanged(f"order {order.order_id} changed since it was read") from error
                raise
            return
        put = {"Put": {"TableName": self._table, "Item": item, **condition}}
        self._transact([put, *self._event_writes(order.order_id, events)])

    def overdue(self, now: datetime, limit: int) -> list[str]:
        """Ids of open orders whose deadline is `now` or earlier, at most `limit`, soonest due first
        within each shard. The index is eventually consistent: read each order before deciding."""
        found: list[str] = []
        for shard in range(OPEN_SHARDS):
            query: dict[str, Any] = {
                "TableName": self._table,
                "IndexName": OPEN_ORDERS_INDEX,
                "KeyConditionExpression": "#shard = :shard AND #deadline <= :now",
                "ExpressionAttributeNames": {"#shard": OPEN_SHARD_ATTRIBUTE, "#deadline": DEADLINE_ATTRIBUTE},
                "ExpressionAttributeValues": {":shard": {"S": _shard_name(shard)}, ":now": {"S": _instant(now)}},
            }
            while len(found) < limit:
                page = self._db.query(**query, Limit=limit - len(found))
                found.extend(item["pk"]["S"].removeprefix("ORDER#") for item in page["Items"])
                if "LastEvaluatedKey" not in page:
                    break
                query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return found[:limit]

    def record_received(self, order_id: str, event: dict[str, Any]) -> None:
        """Note a received event on the timeline, once: a second copy keeps the first's entry."""
        try:
            self._db.put_item(
                TableName=self._table,
                Item=_timeline_item(order_id, event, kind="timeline"),
                ConditionExpression="attribute_not_exists(sk)",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    def _event_writes(self, order_id: str, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        # Checked here, not only by the relay: an event that could never be published must
        # not enter the outbox, nor the order change that caused it.
        for event in events:
            validate_event(event)
        return [{"Put": {"TableName": self._table, "Item": _timeline_item(order_id, e, kind="outbox")}} for e in events]

    def _transact(self, items: list[dict[str, Any]]) -> None:
        try:
            self._db.transact_write_items(TransactItems=items)
        except ClientError as error:
            if error.response["Error"]["Code"] == "TransactionCanceledException":
                raise OrderChanged(error.response["Error"].get("Message", "")) from error
            raise


def _key(order_id: str, sort_key: str) -> dict[str, Any]:
    return {"pk": {"S": f"ORDER#{order_id}"}, "sk": {"S": sort_key}}


def _timeline_item(order_id: str, event: dict[str, Any], kind: str) -> dict[str, Any]:
    return {
        "pk": {"S": f"ORDER#{order_id}"},
        "sk": {"S": f"TIMELINE#{event['id']}"},
        "kind": {"S": kind},
        "event": {"S": json.dumps(event, separators=(",", ":"))},
    }


def _order_item(order: Order) -> dict[str, Any]:
    plain = {
        "pk": f"ORDER#{order.order_id}",
        "sk": "ORDER",
        "kind": "order",
        "orderId": order.order_id,
        "customerId": order.customer_id,
        "status": order.status.value,
        "version": order.version,
        "placedAt": order.placed_at.isoformat(),
        "paymentMethodToken": order.payment_method_token,
        "lines": [
            {
                "sku": line.sku,
                "quantity": line.quantity,
                "unitPrice": {
                    "amount": line.unit_price.amount,
                    "currency": line.unit_price.currency,
                },
            }
            for line in order.lines
        ],
        "shippingAddress": {
            "recipient": order.shipping_address.recipient,
            "line1": order.shipping_address.line1,
            "city": order.shipping_address.city,
            "postalCode": order.shipping_address.postal_code,
            "country": order.shipping_address.country,
        },
    }
    if order.cancellation_reason is not None:
        plain["cancellationReason"] = order.cancellation_reason.value
    if order.deadline is not None:
        plain[DEADLINE_ATTRIBUTE] = _instant(order.deadline)
        if order.is_open:
            plain[OPEN_SHARD_ATTRIBUTE] = _shard_name(zlib.crc32(order.order_id.encode()) % OPEN_SHARDS)
    if order.deadline_passed_at is not None:
        plain["deadlinePassedAt"] = order.deadline_passed_at.isoformat()
    return {name: _serialize(value) for name, value in plain.items()}


def _shard_name(shard: int) -> str:
    return f"OPEN#{shard}"


def _instant(moment: datetime) -> str:
    """UTC at a fixed width, so the index's string order is time order."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    return {name: _undecimal(_deserializer.deserialize(value)) for name, value in item.items()}


def _undecimal(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value)
    if isinstance(value, list):
        return [_undecimal(v) for v in value]
    if isinstance(value, dict):
        return {k: _undecimal(v) for k, v in value.items()}
    return value


def _order_from_item(item: dict[str, Any]) -> Order:
    address = item["shippingAddress"]
    return Order(
        order_id=item["orderId"],
        customer_id=item["customerId"],
        lines=tuple(
            OrderLine(
                line["sku"],
                line["quantity"],
                Money(line["unitPrice"]["amount"], line["unitPrice"]["currency"]),
            )
            for line in item["lines"]
        ),
        payment_method_token=item["paymentMethodToken"],
        shipping_address=ShippingAddress(
            address["recipient"],
            address["line1"],
            address["city"],
            address["postalCode"],
            address["country"],
        ),
        placed_at=datetime.fromisoformat(item["placedAt"]),
        status=OrderStatus(item["status"]),
        cancellation_reason=(CancellationReason(item["cancellationReason"]) if "cancellationReason" in item else None),
        version=item["version"],
        deadline=datetime.fromisoformat(item[DEADLINE_ATTRIBUTE]) if DEADLINE_ATTRIBUTE in item else None,
        deadline_passed_at=datetime.fromisoformat(item["deadlinePassedAt"]) if "deadlinePassedAt" in item else None,
    )
