"""Bad input is refused with a reason; poison is dead-lettered; duplicates change nothing."""

import json
import uuid
from collections import Counter

import pytest

from saga_client.operations import (
    event_log,
    every_item,
    get_order,
    place_order,
    reservation,
    seed_stock,
    stock_level,
)
from tests.e2e.orders import an_order, settled_order
from tests.e2e.redelivery import redeliver

# One worker runs these together, on the one running system they share (./run test: xdist loadgroup).
pytestmark = pytest.mark.xdist_group("running-system")


def orders_of(saga, customer):
    """The orders stored for a customer (signed in by name), read from the orders table itself."""
    table = saga.table("order", "orders")
    items = every_item(
        saga.client("dynamodb"),
        "scan",
        TableName=table,
        FilterExpression="customerId = :c",
        ExpressionAttributeValues={":c": {"S": saga.customer_id(customer)}},
        ConsistentRead=True,
    )
    return [item for item in items if item["sk"]["S"] == "ORDER"]


def a_customer():
    return f"customer-{uuid.uuid4().hex[:8]}"


INVALID_BODIES = {
    "no lines": lambda o: o.update(lines=[]),
    "zero quantity": lambda o: o["lines"][0].update(quantity=0),
    "lower-case sku": lambda o: o["lines"][0].update(sku="mug"),
    "a card number instead of a token": lambda o: o.update(paymentMethodToken="4111111111111111"),
    "an unknown field": lambda o: o.update(cardCvv="123"),
    "a customer named in the body": lambda o: o.update(customerId="someone-else"),
    "no shipping address": lambda o: o.pop("shippingAddress"),
    "a price with its own currency": lambda o: o["lines"][0].update(unitPrice={"amount": 1, "currency": "USD"}),
    "a lower-case currency": lambda o: o.update(currency="eur"),
    "more items than a line takes": lambda o: o["lines"][0].update(quantity=101),
    # JSON types are never coerced.
    "a quantity as a string": lambda o: o["lines"][0].update(quantity="1"),
    "a quantity as a boolean": lambda o: o["lines"][0].update(quantity=True),
}


@pytest.mark.parametrize("problem", INVALID_BODIES)
def test_an_invalid_order_is_refused_with_a_reason_and_nothing_is_stored(saga, sku, problem, problem_schema):
    customer = a_customer()
    order = an_order((sku("mug"), 1))
    INVALID_BODIES[problem](order)
    response = place_order(saga, order, customer=customer)
    assert response.status == 422, response.body
    problem_schema.validate(response.body)
    assert response.body["problems"], response.body
    assert orders_of(saga, customer) == []


@pytest.mark.parametrize("body", [b"{not json", b"", b"[]", b'"an order"'])
def test_a_malformed_body_is_refused(saga, body, problem_schema):
    response = saga.http("POST", "/orders", body)
    assert 400 <= response.status < 500, response.body
    problem_schema.validate(response.body)


def test_a_body_that_is_not_utf8_is_a_bad_request_and_nothing_is_stored(saga, sku, problem_schema):
    customer = a_customer()
    text = json.dumps(an_order((sku("mug"), 1)))
    not_utf8 = text.replace("Ada Lovelace", "Ad\xe1 Lovelace").encode("latin-1")

    response = saga.http("POST", "/orders", not_utf8, customer=customer)

    assert response.status == 400, response.body
    problem_schema.validate(response.body)
    assert orders_of(saga, customer) == []


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_a_body_nested_deeper_than_any_order_is_refused_not_a_server_error(saga, sku, depth, problem_schema):
    customer = a_customer()
    text = json.dumps(an_order((sku("mug"), 1))).replace('"Ada Lovelace"', "[" * depth + "]" * depth)

    response = saga.http("POST", "/orders", text.encode(), customer=customer)

    assert 400 <= response.status < 500, response.body
    problem_schema.validate(response.body)
    assert orders_of(saga, customer) == []


def test_a_body_larger_than_api_gateway_accepts_is_413_and_nothing_is_stored(saga, sku, problem_schema):
    customer = a_customer()
    order = an_order((sku("mug"), 1))
    order["shippingAddress"]["line1"] = "x" * (10 * 1024 * 1024)

    response = saga.http("POST", "/orders", order, customer=customer)

    assert response.status == 413, response.body
    problem_schema.validate(response.body)
    assert orders_of(saga, customer) == []


def test_a_retried_post_with_the_same_idempotency_key_returns_the_same_order(saga, sku, patience):
    mug = sku("mug")
    seed_stock(saga, {mug: 5})
    order = an_order((mug, 1))
    key, customer = str(uuid.uuid4()), a_customer()

    first = place_order(saga, order, idempotency_key=key, customer=customer)
    second = place_order(saga, order, idempotency_key=key, customer=customer)

    assert first.status == second.status == 202
    assert first.body["orderId"] == second.body["orderId"]
    assert len(orders_of(saga, customer)) == 1
    settled_order(saga, first.body["orderId"], {"CONFIRMED"}, patience)
    assert stock_level(saga, mug) == 4

    changed = {**order, "lines": [{**order["lines"][0], "quantity": 2}]}
    reuse = place_order(saga, changed, idempotency_key=key, customer=customer)
    assert reuse.status == 422
    assert "Idempotency-Key" in reuse.body["message"]


def test_the_same_event_delivered_twice_reserves_once(saga, sku, patience):
    mug = sku("mug")
    seed_stock(saga, {mug: 5})
    order_id = place_order(saga, an_order((mug, 2))).body["orderId"]
    settled_order(saga, order_id, {"CONFIRMED"}, patience)
    [placed] = [e for e in event_log(saga, order_id) if e["type"] == "order.placed"]

    # Deliver order.placed again the way EventBridge would: through the global bus, to its consumers.
    assert redeliver(saga, [placed], patience) == {c: {placed["id"]} for c in ("inventory", "payment", "shipping")}

    assert stock_level(saga, mug) == 3
    assert reservation(saga, order_id)["status"] == "RESERVED"
    logged = Counter((e["type"], e["id"]) for e in event_log(saga, order_id))
    assert logged[("order.placed", placed["id"])] == 2
    assert [count for (event_type, _), count in logged.items() if event_type == "inventory.reserved"] == [1]
    assert get_order(saga, order_id).body["status"] == "CONFIRMED"
