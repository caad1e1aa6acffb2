"""The order API's handler refuses bad input with the status and body its OpenAPI document names,
and stores nothing: types are never coerced, bodies must be UTF-8, nesting cannot crash it."""

import base64
import json

import pytest
from jsonschema import Draft202012Validator

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


def call(module, event):
    response = module.handle(event, LambdaContextStub(function_name="order-api"))
    return response["statusCode"], json.loads(response["body"])


def raw_post(body: str, *, base64_encoded: bool = False) -> dict:
    event = http_api_event("POST", "/orders")
    event["body"], event["isBase64Encoded"] = body, base64_encoded
    return event


def stored_orders(cloud, function):
    items = every_item(cloud.dynamodb, "scan", TableName=function.environment["ORDERS_TABLE"], ConsistentRead=True)
    return [item for item in items if item["sk"]["S"] == "ORDER"]


def problem_validator(module) -> Draft202012Validator:
    """The Problem schema exactly as the served document states it."""
    status, document = call(module, http_api_event("GET", "/openapi.json"))
    assert status == 200
    return Draft202012Validator({"$ref": "#/components/schemas/Problem", "components": document["components"]})


def test_the_document_names_one_error_body_for_every_refusal(api):
    module, _ = api
    _, document = call(module, http_api_event("GET", "/openapi.json"))
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for code, response in operation["responses"].items():
                if int(code) >= 400:
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Problem"}, (method, path, code)


COERCIBLE = {
    "a quantity as a string": lambda o: o["lines"][0].update(quantity="1"),
    "a quantity as a boolean": lambda o: o["lines"][0].update(quantity=True),
    "a quantity as a fraction": lambda o: o["lines"][0].update(quantity=1.5),
    "a price as a string": lambda o: o["lines"][0].update(unitPrice="1250"),
    "a postal code as a number": lambda o: o["shippingAddress"].update(postalCode=10115),
}


def test_a_whole_number_written_with_a_fraction_is_the_integer_json_schema_says_it_is(cloud, api):
    module, function = api
    order = order_request(("SKU-RED-MUG", 1))
    order["lines"][0].update(quantity=2.0, unitPrice=1250.0)

    status, body = call(module, http_api_event("POST", "/orders", order))

    assert status == 202, body
    [stored] = stored_orders(cloud, function)
    assert stored["lines"]["L"][0]["M"]["quantity"] == {"N": "2"}


@pytest.mark.parametrize("problem", COERCIBLE)
def test_a_value_of_the_wrong_json_type_is_refused_not_coerced(cloud, api, problem):
    module, function = api
    order = order_request(("SKU-RED-MUG", 1))
    COERCIBLE[problem](order)

    status, body = call(module, http_api_event("POST", "/orders", order))

    assert status == 422, body
    problem_validator(module).validate(body)
    assert body["problems"], body
    assert stored_orders(cloud, function) == []


def test_a_body_that_is_not_utf8_is_a_bad_request(cloud, api):
    module, function = api
    text = json.dumps(order_request(("SKU-RED-MUG", 1)))
    not_utf8 = text.replace("Ada Lovelace", "Ad\xe1 Lovelace").encode("latin-1")

    status, body = call(module, raw_post(base64.b64encode(not_utf8).decode(), base64_encoded=True))

    assert status == 400, body
    problem_validator(module).validate(body)
    assert stored_orders(cloud, function) == []


@pytest.mark.parametrize("depth", [100, 1_000, 100_000])
def test_a_body_nested_deeper_than_an_order_is_refused_not_a_crash(cloud, api, depth):
    module, function = api
    order = order_request(("SKU-RED-MUG", 1))
    text = json.dumps(order).replace('"Ada Lovelace"', "[" * depth + "]" * depth)

    status, body = call(module, raw_post(text))

    assert 400 <= status < 500, body
    problem_validator(module).validate(body)
    assert stored_orders(cloud, function) == []


def test_the_document_says_every_operation_wants_a_customers_bearer_token(api):
    module, _ = api
    _, document = call(module, http_api_event("GET", "/openapi.json"))
    assert document["components"]["securitySchemes"] == {
        "customerToken": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    }
    assert document["security"] == [{"customerToken": []}]
    # Asked again, the document is the same (it is configured once, on the first request for it).
    assert call(module, http_api_event("GET", "/openapi.json"))[1] == document
