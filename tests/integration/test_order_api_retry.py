"""A keyed POST /orders that stored its order and died before its idempotency record was
completed is retried by the client: the retry answers the same order and stores no second one."""

import json

import pytest

from saga_client.operations import every_item
from saga_client.orders import order_request
from tests.harness.declared_stack import declared_stack
from tests.harness.lambda_events import LambdaContextStub, http_api_event


@pytest.fixture
def api(cloud, monkeypatch):
    stack = declared_stack()
    function = stack.function("order.api.handle")
    module = cloud.deploy(function, stack, monkeypatch)
    return module, function


def post(module, body, key, customer="customer-tests"):
    event = http_api_event("POST", "/orders", body, customer=customer)
    event["headers"]["idempotency-key"] = key
    response = module.handle(event, LambdaContextStub(function_name="order-api"))
    return response["statusCode"], json.loads(response["body"])


def scan(cloud, table):
    return every_item(cloud.dynamodb, "scan", TableName=table, ConsistentRead=True)


def test_retry_after_a_crash_answers_the_stored_order(cloud, api):
    module, function = api
    order = order_request(("SKU-RED-MUG", 2))
    status, first = post(module, order, "key-1")
    assert status == 202
    # The crash: the order is stored, but the attempt's idempotency record is gone (an
    # in-progress record expires once the dead invocation's time is up).
    for item in scan(cloud, function.environment["IDEMPOTENCY_TABLE"]):
        cloud.dynamodb.delete_item(TableName=function.environment["IDEMPOTENCY_TABLE"], Key={"id": item["id"]})

    status, retried = post(module, order, "key-1")

    assert status == 202
    assert retried["orderId"] == first["orderId"]
    orders = [i for i in scan(cloud, function.environment["ORDERS_TABLE"]) if i["sk"]["S"] == "ORDER"]
    assert [o["orderId"]["S"] for o in orders] == [first["orderId"]]


def test_the_same_key_for_another_order_is_refused_even_after_the_record_expired(cloud, api):
    module, function = api
    status, _ = post(module, order_request(("SKU-RED-MUG", 2)), "key-2", customer="customer-k")
    assert status == 202
    for item in scan(cloud, function.environment["IDEMPOTENCY_TABLE"]):
        cloud.dynamodb.delete_item(TableName=function.environment["IDEMPOTENCY_TABLE"], Key={"id": item["id"]})

    status, refused = post(module, order_request(("SKU-BLUE-MUG", 1)), "key-2", customer="customer-k")

    assert status == 422
    assert "already used with a different order" in refused["message"]
    orders = [i for i in scan(cloud, function.environment["ORDERS_TABLE"]) if i["sk"]["S"] == "ORDER"]
    assert len(orders) == 1


def test_different_customers_may_use_the_same_key(cloud, api):
    module, _ = api
    _, one = post(module, order_request(("SKU-RED-MUG", 1)), "shared-key", customer="customer-a")
    _, other = post(module, order_request(("SKU-RED-MUG", 1)), "shared-key", customer="customer-b")
    assert one["orderId"] != other["orderId"]
