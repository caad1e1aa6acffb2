"""An order through HTTP, the outbox, the global bus and inventory, and back to the order."""

import pytest
from saga_events.validation import validate_event

from saga_client.operations import (
    event_log,
    get_order,
    place_order,
    reservation,
    seed_stock,
    stock_level,
)
from saga_client.target import eventually
from tests.e2e.orders import an_order, settled_order

# One worker runs these together, on the one running system they share (./run test: xdist loadgroup).
pytestmark = pytest.mark.xdist_group("running-system")


def events_of(saga, order_id, expected_types, timeout):
    def all_logged():
        events = event_log(saga, order_id)
        return events if {e["type"] for e in events} >= set(expected_types) else None

    all_logged.__name__ = f"{expected_types} in the event log"
    return eventually(all_logged, timeout=timeout)


def test_an_order_in_stock_is_reserved(saga, sku, patience):
    mug, tea = sku("mug"), sku("tea")
    seed_stock(saga, {mug: 5, tea: 1})

    response = place_order(saga, an_order((mug, 2), (tea, 1)))
    assert response.status == 202, response.body
    order_id = response.body["orderId"]
    assert response.headers["location"] == f"/orders/{order_id}"

    # The saga goes on (payment, shipping); here only the reservation part is asserted.
    order = settled_order(saga, order_id, {"STOCK_RESERVED", "PAID", "CONFIRMED"}, patience)
    assert order["cancellationReason"] is None
    assert order["total"] == {"amount": 3750, "currency": "EUR"}
    assert stock_level(saga, mug) == 3
    assert stock_level(saga, tea) == 0
    held = reservation(saga, order_id)
    assert held["status"] == "RESERVED"
    assert {(line["sku"], line["quantity"]) for line in held["lines"]} == {(mug, 2), (tea, 1)}

    events = events_of(saga, order_id, ["order.placed", "inventory.reserved"], patience)
    for event in events:
        validate_event(event)
        assert event["correlationid"] == order_id
    placed = {e["dataschema"].rsplit("/", 1)[1]: e for e in events if e["type"] == "order.placed"}
    assert set(placed) == {"v3.json"}  # one version for every consumer: v1 and v2 are retired
    reserved = next(e for e in events if e["type"] == "inventory.reserved")
    assert reserved["causationid"] == placed["v3.json"]["id"]
    timeline = [entry["type"] for entry in get_order(saga, order_id).body["timeline"]]
    assert timeline[:2] == ["order.placed", "inventory.reserved"]
    assert "inventory.reserved" in timeline


def test_an_order_beyond_stock_is_rejected_and_cancelled_holding_nothing(saga, sku, patience):
    mug, tea = sku("mug"), sku("tea")
    seed_stock(saga, {mug: 5, tea: 1})

    order_id = place_order(saga, an_order((mug, 2), (tea, 2))).body["orderId"]

    order = settled_order(saga, order_id, {"CANCELLED"}, patience)
    assert order["cancellationReason"] == "OUT_OF_STOCK"
    assert stock_level(saga, mug) == 5
    assert stock_level(saga, tea) == 1
    events = events_of(
        saga,
        order_id,
        ["order.placed", "inventory.reservation-rejected", "order.cancelled"],
        patience,
    )
    rejected = next(e for e in events if e["type"] == "inventory.reservation-rejected")
    assert rejected["data"]["reason"] == "OUT_OF_STOCK"
    assert rejected["data"]["skus"] == [tea]
    for event in events:
        validate_event(event)


def test_an_order_for_an_unknown_sku_is_rejected(saga, sku, patience):
    mug = sku("mug")
    seed_stock(saga, {mug: 5})
    ghost = sku("ghost")

    order_id = place_order(saga, an_order((mug, 1), (ghost, 1))).body["orderId"]

    order = settled_order(saga, order_id, {"CANCELLED"}, patience)
    assert order["cancellationReason"] == "UNKNOWN_SKU"
    assert stock_level(saga, mug) == 5
    assert stock_level(saga, ghost) is None


def test_an_unknown_order_is_404(saga):
    response = get_order(saga, "00000000-0000-4000-8000-000000000000")
    assert response.status == 404
    assert "does not exist" in response.body["message"]


def test_the_api_serves_its_openapi_document(saga):
    document = saga.http("GET", "/openapi.json").body
    assert document["openapi"].startswith("3.")
    assert {"/orders", "/orders/{order_id}"} <= set(document["paths"])
