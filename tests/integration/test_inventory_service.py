"""Inventory's service on its own: a real store on in-process moto, the bus read back, no handler module."""

import pytest
from inventory.domain import Rejected, RejectionReason, Reserved, StockRequest
from inventory.service import InventoryService
from inventory.store import InventoryStore

from tests.integration.service_kit import LOGGER, Cause, CountedMetrics, StoppedClock, publisher

MUGS = [{"sku": "MUG", "quantity": 2}]


@pytest.fixture
def clock() -> StoppedClock:
    return StoppedClock()


@pytest.fixture
def inventory(cloud, clock) -> InventoryService:
    cloud.create_table("stock", "sku")
    cloud.create_table("reservations", "orderId")
    cloud.dynamodb.put_item(TableName="stock", Item={"sku": {"S": "MUG"}, "available": {"N": "3"}})
    store = InventoryStore(cloud.dynamodb, "stock", "reservations")
    return InventoryService(
        store, publisher(), source="saga.inventory", logger=LOGGER, metrics=CountedMetrics(), clock=clock
    )


def on_hand(cloud) -> int:
    item = cloud.dynamodb.get_item(TableName="stock", Key={"sku": {"S": "MUG"}}, ConsistentRead=True)["Item"]
    return int(item["available"]["N"])


def test_a_reservation_holds_the_stock_announces_it_and_says_so(cloud, inventory, clock, order_id):
    cause = Cause(f"placed-{order_id}", order_id)

    outcome = inventory.reserve_stock(order_id, MUGS, cause)

    assert outcome == Reserved((StockRequest("MUG", 2),))
    assert on_hand(cloud) == 1
    [reserved] = cloud.published()
    assert (reserved["type"], reserved["causationid"], reserved["correlationid"]) == (
        "inventory.reserved",
        cause.id,
        order_id,
    )
    assert reserved["data"]["reservedAt"] == clock.now.isoformat()


def test_asked_again_it_repeats_the_decision_without_taking_more(cloud, inventory, order_id):
    cause = Cause(f"placed-{order_id}", order_id)
    first = inventory.reserve_stock(order_id, MUGS, cause)
    [announced] = cloud.published()

    again = inventory.reserve_stock(order_id, MUGS, cause)

    assert again == first
    assert on_hand(cloud) == 1
    assert [event["id"] for event in cloud.published()] == [announced["id"]]


def test_too_few_on_the_shelf_holds_nothing(cloud, inventory, order_id):
    outcome = inventory.reserve_stock(order_id, [{"sku": "MUG", "quantity": 5}], Cause("p", order_id))

    assert outcome == Rejected(RejectionReason.OUT_OF_STOCK, ("MUG",))
    assert on_hand(cloud) == 3
    assert [event["type"] for event in cloud.published()] == ["inventory.reservation-rejected"]


def test_a_release_puts_the_stock_back_and_answers_what_it_released(cloud, inventory, order_id):
    inventory.reserve_stock(order_id, MUGS, Cause("p", order_id))
    cloud.published()

    released = inventory.release_stock(order_id, Cause("c", order_id))

    assert released == (StockRequest("MUG", 2),)
    assert on_hand(cloud) == 3
    assert [event["type"] for event in cloud.published()] == ["inventory.released"]


def test_a_release_before_the_reservation_leaves_a_tombstone_the_reservation_respects(cloud, inventory, order_id):
    assert inventory.release_stock(order_id, Cause("c", order_id)) == ()

    assert inventory.reserve_stock(order_id, MUGS, Cause("p", order_id)) is None
    assert on_hand(cloud) == 3
    assert cloud.published() == []
