"""The order's timeline, which is also its outbox, against moto: one entry per event, one item per published event."""

import json
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from order.domain import Money, OrderLine, ShippingAddress, place_order
from order.events import order_confirmed
from order.store import OrderStore
from saga_events import new_event

from tests.harness.cloud import mocked_cloud

TABLE = "orders"
NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def store(monkeypatch):
    with mocked_cloud(monkeypatch) as cloud:
        cloud.create_table(TABLE, "pk", "sk")
        yield OrderStore(cloud.dynamodb, TABLE), cloud


def an_order(order_id: str):
    return place_order(
        order_id,
        "cust-42",
        (OrderLine("MUG-RED", 1, Money(1250, "EUR")),),
        "tok_visa",
        ShippingAddress("Ada Lovelace", "1 Analytical Way", "Berlin", "10115", "DE"),
        NOW,
        time_allowed=timedelta(minutes=15),
    )


def reserved(order_id: str, time: str) -> dict:
    event = new_event(
        "inventory.reserved",
        {"orderId": order_id, "lines": [{"sku": "MUG-RED", "quantity": 1}], "reservedAt": time},
        source="saga.inventory",
        correlation_id=order_id,
        causation_id=f"placed-{order_id}",
    )
    return {**event, "time": time}


def test_an_event_announced_again_with_a_new_time_stays_one_entry_the_first(store):
    orders, _ = store
    order_id = str(uuid.uuid4())
    orders.add(an_order(order_id), [], NOW)
    first = reserved(order_id, "2026-01-01T00:00:01+00:00")
    # A producer retried after its publish: the same derived id, a later time.
    again = reserved(order_id, "2026-01-01T00:00:09+00:00")
    assert first["id"] == again["id"]

    orders.record_received(order_id, first)
    orders.record_received(order_id, first)
    orders.record_received(order_id, again)

    assert orders.timeline(order_id) == [first]


def test_a_published_event_is_one_item_its_timeline_entry_and_its_outbox_entry(store):
    orders, cloud = store
    order_id = str(uuid.uuid4())
    order = an_order(order_id)
    orders.add(order, [], NOW)
    received = reserved(order_id, "2026-01-01T00:00:01+00:00")
    orders.record_received(order_id, received)
    later = NOW + timedelta(seconds=5)
    confirmed = order_confirmed(order, received["id"], later, source="saga.order")

    orders.save(replace(order, version=2), [confirmed], later)

    items = [i for i in cloud.items(TABLE) if i["sk"]["S"] != "ORDER"]
    assert sorted((i["kind"]["S"], json.loads(i["event"]["S"])["id"]) for i in items) == sorted(
        [("timeline", received["id"]), ("outbox", confirmed["id"])]
    )
    assert [e["id"] for e in orders.timeline(order_id)] == [received["id"], confirmed["id"]]
