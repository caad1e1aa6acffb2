"""The cost model's DynamoDB arithmetic: AWS's item-size and capacity-unit rules, on recorded requests."""

import json
from typing import Any

from benchmarks.cost.dynamodb_units import UnitCounter, item_size
from benchmarks.soak.recording import RecordedRequest


class StoredItems:
    """Stands in for the emulator the counter asks for an item's final size."""

    def __init__(self, item: dict[str, Any] | None) -> None:
        self.item = item

    def get_item(self, **_: Any) -> dict[str, Any]:
        return {"Item": self.item} if self.item else {}


def request(operation: str, body: dict[str, Any]) -> RecordedRequest:
    return RecordedRequest("POST", "/", {"X-Amz-Target": f"DynamoDB_20120810.{operation}"}, json.dumps(body).encode())


def text_of(size: int) -> dict[str, Any]:
    return {"pk": {"S": "x"}, "body": {"S": "a" * (size - len("pk") - 1 - len("body"))}}


def test_item_size_counts_attribute_names_and_values():
    assert item_size({"orderId": {"S": "o-1"}, "n": {"N": "1250"}}) == len("orderId") + 3 + len("n") + 3
    assert item_size(text_of(1024)) == 1024


def test_a_write_costs_one_unit_per_started_kilobyte_and_twice_that_in_a_transaction():
    counter = UnitCounter(StoredItems(None))
    put = {"TableName": "t", "Item": text_of(1025)}

    [plain] = counter.writes(request("PutItem", put))
    [transactional] = counter.writes(request("TransactWriteItems", {"TransactItems": [{"Put": put}]}))

    assert (plain.units, transactional.units) == (2, 4)


def test_an_update_is_metered_on_the_item_it_leaves_and_a_condition_check_as_a_transactional_write():
    counter = UnitCounter(StoredItems(text_of(3000)))
    update = {"TableName": "t", "Key": {"pk": {"S": "x"}}}
    check = {"TableName": "t", "Key": {"pk": {"S": "y"}}, "ConditionExpression": "attribute_not_exists(pk)"}

    [updated] = counter.writes(request("UpdateItem", update))
    [checked] = counter.writes(request("TransactWriteItems", {"TransactItems": [{"ConditionCheck": check}]}))

    assert (updated.units, checked.units) == (3, 6)


def test_a_strongly_consistent_read_costs_one_unit_per_four_kilobytes_an_eventual_one_half():
    counter = UnitCounter(StoredItems(text_of(5000)))
    key = {"TableName": "t", "Key": {"pk": {"S": "x"}}}

    [strong] = counter.reads(request("GetItem", {**key, "ConsistentRead": True}))
    [eventual] = counter.reads(request("GetItem", key))

    assert (strong.units, eventual.units) == (2, 1)


def test_an_outbox_item_is_tagged_with_the_event_it_carries():
    event = {"type": "order.placed", "dataschema": "https://schemas.example/events/order.placed/v1.json"}
    item = {"pk": {"S": "ORDER#1"}, "event": {"S": json.dumps(event)}}

    [written] = UnitCounter(StoredItems(None)).writes(request("PutItem", {"TableName": "t", "Item": item}))

    assert written.event == "order.placed/v1"
