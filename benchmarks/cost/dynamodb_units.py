"""DynamoDB request units of recorded requests, by AWS's rules for item size and capacity.

A write request unit is one write of up to 1 KB of item (each started KB counts), a transactional
write two per KB, each item of a transaction counted on its own (ConditionCheck included); a
strongly consistent read one read unit per started 4 KB (eventually consistent: half). A failed
conditional write consumes its units all the same, and so it is counted.

The recorder keeps requests, not answers, so the size of an item that an UpdateItem changed, or a
read returned, is read from the emulator once the saga is over: the item as it ended. An item is
small here (under 1 KB but for order events), so the final size rounds to the same units.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from benchmarks.soak.recording import RecordedRequest

KB = 1024


def item_size(item: dict[str, Any]) -> int:
    """An item's size as DynamoDB meters it: attribute names plus values, in bytes."""
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(value: dict[str, Any]) -> int:
    (kind, inner), *_ = value.items()
    if kind == "S":
        return len(inner.encode())
    if kind == "N":
        digits = Decimal(inner).normalize().as_tuple().digits
        return math.ceil(len(digits) / 2) + 1
    if kind == "B":
        return len(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "L":
        return 3 + sum(1 + _value_size(element) for element in inner)
    if kind == "M":
        return 3 + sum(1 + len(name.encode()) + _value_size(element) for name, element in inner.items())
    if kind in ("SS", "NS", "BS"):
        return sum(_value_size({kind[0]: element}) for element in inner)
    raise ValueError(f"unknown DynamoDB type {kind}")


@dataclass(frozen=True)
class ItemUnits:
    """The units one item of one request cost."""

    table: str
    units: float
    operation: str
    # The event an outbox or timeline item carries ("order.placed/v1"), for pricing levers.
    event: str | None = None


class UnitCounter:
    """Counts units of recorded requests; `client` reads final item sizes (not recorded)."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._sizes: dict[str, int] = {}

    def writes(self, request: RecordedRequest) -> Iterator[ItemUnits]:
        operation, body = request.operation, request.json()
        if operation == "PutItem":
            yield self._put(body["TableName"], body["Item"], operation, 1)
        elif operation in ("UpdateItem", "DeleteItem"):
            yield ItemUnits(body["TableName"], _write_units(self._final_size(body)), operation)
        elif operation == "TransactWriteItems":
            for entry in body["TransactItems"]:
                (kind, action), *_ = entry.items()
                if kind == "Put":
                    yield self._put(action["TableName"], action["Item"], operation, 2)
                else:
                    yield ItemUnits(action["TableName"], 2 * _write_units(self._final_size(action)), operation)
        elif operation == "BatchWriteItem":
            for table, entries in body["RequestItems"].items():
                for entry in entries:
                    if "PutRequest" in entry:
                        yield self._put(table, entry["PutRequest"]["Item"], operation, 1)
                    else:
                        yield ItemUnits(table, 1, operation)

    def reads(self, request: RecordedRequest) -> Iterator[ItemUnits]:
        operation, body = request.operation, request.json()
        if operation == "GetItem":
            yield ItemUnits(body["TableName"], _read_units(self._final_size(body), body), operation)
        elif operation == "BatchGetItem":
            for table, spec in body["RequestItems"].items():
                for key in spec["Keys"]:
                    size = self._final_size({"TableName": table, "Key": key})
                    yield ItemUnits(table, _read_units(size, spec), operation)
        elif operation in ("Query", "Scan"):
            # A query is metered on the total size of what it returned, rounded up once.
            answer = getattr(self._client, operation.lower())(**body)
            size = sum(item_size(item) for item in answer.get("Items", []))
            yield ItemUnits(body["TableName"], _read_units(size, body), operation)

    def _put(self, table: str, item: dict[str, Any], operation: str, factor: int) -> ItemUnits:
        event = None
        if "event" in item and "S" in item["event"]:
            cloudevent = json.loads(item["event"]["S"])
            version = cloudevent.get("dataschema", "").rsplit("/", 1)[-1].removesuffix(".json")
            event = f"{cloudevent.get('type')}/{version}"
        return ItemUnits(table, factor * _write_units(item_size(item)), operation, event)

    def _final_size(self, action: dict[str, Any]) -> int:
        key = json.dumps([action["TableName"], action["Key"]], sort_keys=True)
        if key not in self._sizes:
            item = self._client.get_item(TableName=action["TableName"], Key=action["Key"]).get("Item")
            self._sizes[key] = item_size(item) if item else 0
        return self._sizes[key]


def _write_units(size: int) -> int:
    return max(1, math.ceil(size / KB))


def _read_units(size: int, request: dict[str, Any]) -> float:
    units = max(1, math.ceil(size / (4 * KB)))
    return units if request.get("ConsistentRead") else units / 2
