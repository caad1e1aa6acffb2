"""Only a signed-in customer reaches the order routes, and only their own orders.

API Gateway's JWT authorizer (the embedded cloud's gateway enforces it the same way) refuses a
request without a token, or with one that is expired, for another audience, or not signed by
the issuer, with 401 before the function runs. Another customer's order answers 404, as if it
did not exist. The OpenAPI document stays public.
"""

import base64
import json
import time
import uuid

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from saga_client.operations import cancel_order, every_item, get_order, place_order, seed_stock, stock_level
from saga_client.state import SagaState
from tests.e2e.orders import an_order, settled_order

# One worker runs these together, on the one running system they share (./run test: xdist loadgroup).
pytestmark = pytest.mark.xdist_group("running-system")


def a_customer():
    return f"customer-{uuid.uuid4().hex[:8]}"


def claims_of(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def signed_by_the_pool(saga, claims):
    """A token signed with the pool's own key (moto's, so only on the embedded cloud): it fails
    nothing but what the claims themselves say."""
    if saga.endpoint_url is None:
        pytest.skip("needs the issuer's private key, which only the embedded cloud's pool lets us use")
    from moto.utilities.utils import load_resource

    key = RSAKey.import_key(load_resource("cognitoidp/resources/jwks-private.json"))
    return jwt.encode({"kid": key.kid, "alg": "RS256"}, claims, key)


def with_token(saga, token, method="POST", path="/orders", body=None):
    return saga.http(method, path, body, {"authorization": f"Bearer {token}"})


def orders_of(saga, customer_id):
    items = every_item(
        saga.client("dynamodb"),
        "scan",
        TableName=saga.table("order", "orders"),
        FilterExpression="customerId = :c",
        ExpressionAttributeValues={":c": {"S": customer_id}},
        ConsistentRead=True,
    )
    return [item for item in items if item["sk"]["S"] == "ORDER"]


def assert_refused(response, problem_schema):
    assert response.status == 401, (response.status, response.body)
    problem_schema.validate(response.body)
    assert response.body == {"message": "Unauthorized"}


def test_no_token_is_401_on_every_order_route_and_the_document_stays_public(saga, sku, problem_schema):
    order_id = str(uuid.uuid4())
    for method, path, body in [
        ("POST", "/orders", an_order((sku("mug"), 1))),
        ("GET", f"/orders/{order_id}", None),
        ("POST", f"/orders/{order_id}/cancel", None),
        ("GET", "/anything-else", None),
    ]:
        assert_refused(saga.http(method, path, body, anonymous=True), problem_schema)
    assert saga.http("GET", "/openapi.json", anonymous=True).status == 200


def test_an_expired_token_is_401_and_nothing_is_stored(saga, sku, problem_schema):
    customer = a_customer()
    claims = claims_of(saga.customers.token(customer))
    expired = signed_by_the_pool(saga, {**claims, "iat": claims["iat"] - 7200, "exp": int(time.time()) - 60})
    # The same claims, still valid, pass: only the expiry is refused.
    valid = signed_by_the_pool(saga, {**claims, "exp": int(time.time()) + 600})
    assert with_token(saga, valid, "GET", f"/orders/{uuid.uuid4()}").status == 404

    assert_refused(with_token(saga, expired, body=an_order((sku("mug"), 1))), problem_schema)
    assert orders_of(saga, claims["sub"]) == []


def test_a_token_for_another_audience_is_401(saga, sku, problem_schema):
    """A real token of the same pool, issued to another app client: not for this API."""
    cognito, pool = saga.client("cognito-idp"), saga.outputs["customerUserPoolId"]
    other = cognito.create_user_pool_client(
        UserPoolId=pool,
        ClientName=f"another-app-{uuid.uuid4().hex[:6]}",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"],
    )["UserPoolClient"]["ClientId"]
    customer = a_customer()
    saga.customers.token(customer)  # the customer exists, with the client's password
    try:
        token = cognito.initiate_auth(
            ClientId=other,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": customer, "PASSWORD": saga.customers.password},
        )["AuthenticationResult"]["AccessToken"]
    finally:
        cognito.delete_user_pool_client(UserPoolId=pool, ClientId=other)
    assert claims_of(token)["client_id"] == other

    assert_refused(with_token(saga, token, body=an_order((sku("mug"), 1))), problem_schema)
    assert orders_of(saga, claims_of(token)["sub"]) == []


def test_a_token_with_a_bad_signature_is_401(saga, sku, problem_schema):
    customer = a_customer()
    token = saga.customers.token(customer)
    header, payload, signature = token.split(".")
    # The customer's own claims, one letter of the signature changed.
    forged = ".".join([header, payload, signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]])
    # A token signed by some other key, with the pool's kid and every claim right.
    stranger = jwt.encode({"kid": "dummy", "alg": "RS256"}, claims_of(token), RSAKey.generate_key(2048))

    for bad in (forged, stranger):
        assert_refused(with_token(saga, bad, body=an_order((sku("mug"), 1))), problem_schema)
    assert orders_of(saga, saga.customer_id(customer)) == []


def test_another_customers_order_is_404_on_get_and_cancel_and_stays_as_it_was(saga, sku, problem_schema, patience):
    mug = sku("mug")
    seed_stock(saga, {mug: 5})
    ada, bob = a_customer(), a_customer()
    order_id = place_order(saga, an_order((mug, 1)), customer=ada).body["orderId"]
    settled_order(saga, order_id, {"CONFIRMED"}, patience)
    never_placed = str(uuid.uuid4())

    for response, unknown in [
        (get_order(saga, order_id, customer=bob), get_order(saga, never_placed, customer=bob)),
        (cancel_order(saga, order_id, customer=bob), cancel_order(saga, never_placed, customer=bob)),
    ]:
        assert response.status == unknown.status == 404, response.body
        problem_schema.validate(response.body)
        # Word for word what an order that does not exist answers, so order ids cannot be probed.
        assert response.body["message"].replace(order_id, "?") == unknown.body["message"].replace(never_placed, "?")

    state = SagaState.read(saga, order_id)
    assert state.order["status"] == "CONFIRMED"
    assert state.order["customerId"] == saga.customer_id(ada)
    assert stock_level(saga, mug) == 4


def test_a_customer_cancels_their_own_order(saga, sku, patience):
    mug = sku("mug")
    seed_stock(saga, {mug: 5})
    ada = a_customer()
    with saga.paused("inventory"):
        order_id = place_order(saga, an_order((mug, 1)), customer=ada).body["orderId"]
        assert cancel_order(saga, order_id, customer=ada).status == 202
    order = settled_order(saga, order_id, {"CANCELLED"}, patience)
    assert order["cancellationReason"] == "CUSTOMER_REQUEST"
