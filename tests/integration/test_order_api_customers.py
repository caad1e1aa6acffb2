"""The order API serves each customer their own orders only: the customer is the token's subject
(as API Gateway's JWT authorizer passes it), never a body field, and without one nothing is served."""

import json

import pytest

from saga_client.orders import order_request
from tests.harness.declared_stack import declared_stack
from tests.harness.lambda_events import LambdaContextStub, http_api_event


@pytest.fixture
def api(cloud, monkeypatch):
    stack = declared_stack()
    function = stack.function("order.api.handle")
    return cloud.deploy(function, stack, monkeypatch), function


def call(module, event):
    response = module.handle(event, LambdaContextStub(function_name="order-api"))
    return response["statusCode"], json.loads(response["body"])


def test_the_order_belongs_to_the_tokens_subject(api):
    module, _ = api
    status, placed = call(module, http_api_event("POST", "/orders", order_request(("MUG", 1)), customer="sub-ada"))
    assert status == 202
    status, order = call(module, http_api_event("GET", f"/orders/{placed['orderId']}", customer="sub-ada"))
    assert (status, order["customerId"]) == (200, "sub-ada")


def test_a_customer_named_in_the_body_is_refused(cloud, api):
    module, function = api
    body = {**order_request(("MUG", 1)), "customerId": "someone-else"}
    status, refused = call(module, http_api_event("POST", "/orders", body, customer="sub-ada"))
    assert status == 422
    assert refused["problems"][0]["location"] == ["body", "customerId"]
    assert cloud.items(function.environment["ORDERS_TABLE"]) == []


@pytest.mark.parametrize("action", ["GET", "cancel"])
def test_another_customers_order_is_answered_as_if_it_did_not_exist(cloud, api, action):
    module, function = api
    _, placed = call(module, http_api_event("POST", "/orders", order_request(("MUG", 1)), customer="sub-ada"))
    order_id = placed["orderId"]
    before = cloud.snapshot([function.environment["ORDERS_TABLE"]])
    method, path = ("GET", f"/orders/{order_id}") if action == "GET" else ("POST", f"/orders/{order_id}/cancel")
    _, missing = call(
        module, http_api_event(method, path.replace(order_id, "0" * 8 + order_id[8:]), customer="sub-bob")
    )

    status, body = call(module, http_api_event(method, path, customer="sub-bob"))

    assert status == 404
    assert body["message"].replace(order_id, "<id>") == missing["message"].replace("0" * 8 + order_id[8:], "<id>")
    assert cloud.snapshot([function.environment["ORDERS_TABLE"]]) == before


@pytest.mark.parametrize("claims", [None, {}, {"sub": ""}, {"sub": "x" * 65}])
def test_without_a_subject_nothing_is_served(cloud, api, claims):
    module, function = api
    event = http_api_event("POST", "/orders", order_request(("MUG", 1)), customer=None)
    if claims is not None:
        event["requestContext"]["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
    status, body = call(module, event)
    assert (status, body) == (401, {"message": "Unauthorized"})
    assert cloud.items(function.environment["ORDERS_TABLE"]) == []
