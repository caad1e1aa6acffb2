"""The order API against its own OpenAPI document, over real HTTP: no 5xx, every response documented.

schemathesis generates requests from the document the API serves (GET /openapi.json), valid ones
(positive) and invalid ones (negative), each sent with a signed-in customer's token, and checks
each response's status, content type, headers and body against the document, refusals included.
"""

import uuid
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.auths import AuthStorage

from saga_client import SagaTarget

# One worker runs these together, on the one running system they share (./run test: xdist loadgroup).
pytestmark = pytest.mark.xdist_group("running-system")

# Examples per operation and generation mode. Each accepted POST starts a saga (about ten events
# through the emulator), so valid POSTs get fewer than the cheap reads and refusals.
EXAMPLES = {
    ("POST /orders", GenerationMode.POSITIVE): 100,
    ("GET /orders/{order_id}", GenerationMode.POSITIVE): 400,
    ("POST /orders/{order_id}/cancel", GenerationMode.POSITIVE): 300,
    ("POST /orders", GenerationMode.NEGATIVE): 500,
    ("GET /orders/{order_id}", GenerationMode.NEGATIVE): 250,
    ("POST /orders/{order_id}/cancel", GenerationMode.NEGATIVE): 250,
}
OPERATIONS = {label for label, _ in EXAMPLES}
# Each test must have sent at least this share of its examples: Hypothesis may stop a little early
# when it judges the space explored.
MINIMUM_SHARE = 0.9
# Negative generation also leaves out or garbles the credentials (and expects 401); at least this
# many requests must have carried the customer's valid token, across both modes.
MINIMUM_WITH_A_VALID_TOKEN = 1000
with_a_valid_token: Counter[str] = Counter()
CUSTOMER = "customer-schemathesis"


@pytest.fixture(scope="module")
def order_api(saga: SagaTarget) -> schemathesis.BaseSchema:
    # Loaded in a fixture, not at import, because the API exists only once the cloud is up.
    # (schemathesis' own lazy fixture loader fails under pytest 9: it sets Function._nodeid.)
    return schemathesis.openapi.from_url(f"{saga.api_url}/openapi.json", wait_for_schema=30)


def test_the_document_lists_exactly_the_operations_under_test(order_api):
    served = {f"{op.method.upper()} {op.path}" for op in (result.ok() for result in order_api.get_all_operations())}
    assert served == set(OPERATIONS)


def signed_in(saga: SagaTarget) -> AuthStorage:
    """Every request carries the customer's access token, as schemathesis' own credentials: its
    checks then also send each operation without them and with made-up ones, expecting 401."""

    class CustomerToken:
        def get(self, case: schemathesis.Case, context: object) -> str:
            # The client renews the customer's token before it expires.
            return saga.customers.token(CUSTOMER)

        def set(self, case: schemathesis.Case, token: str, context: object) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}

    storage = AuthStorage()
    storage.auth(refresh_interval=None)(CustomerToken)
    return storage


@pytest.mark.parametrize(("label", "mode"), list(EXAMPLES), ids=[f"{m.value} {label}" for label, m in EXAMPLES])
def test_every_response_is_what_the_document_promises(order_api, saga, label, mode):
    method, path = label.split(" ", 1)
    operation = order_api[path][method]
    requests_sent: list[str] = []

    @given(case=operation.as_strategy(generation_mode=mode, auth_storage=signed_in(saga)))
    @settings(
        max_examples=EXAMPLES[(label, mode)],
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def conforms(case: schemathesis.Case) -> None:
        if case.headers and "idempotency-key" in case.headers and mode is GenerationMode.POSITIVE:
            # Generated keys repeat ("0", "00"...) across different bodies, which the API rightly
            # refuses (422, as the IETF Idempotency-Key draft says); reuse is tested end to end.
            case.headers["idempotency-key"] = str(uuid.uuid4())
        response = case.call_and_validate(base_url=saga.api_url, timeout=30)
        if (case.headers or {}).get("Authorization") == f"Bearer {saga.customers.token(CUSTOMER)}":
            with_a_valid_token[mode.value] += 1
        requests_sent.append(f"{case.method} {case.formatted_path} -> {response.status_code}")

    conforms()

    statuses = Counter(sent.rsplit(" ", 1)[1] for sent in requests_sent)
    print(f"schemathesis sent {len(requests_sent)} {mode.value} requests to {label}: {dict(statuses)}")
    assert len(requests_sent) >= MINIMUM_SHARE * EXAMPLES[(label, mode)], requests_sent[-5:]


def test_over_a_thousand_requests_carried_a_valid_token_in_both_modes():
    # Runs after the tests above (pytest keeps a module's order).
    assert with_a_valid_token[GenerationMode.POSITIVE.value] > 0, with_a_valid_token
    assert with_a_valid_token[GenerationMode.NEGATIVE.value] > 0, with_a_valid_token
    assert sum(with_a_valid_token.values()) >= MINIMUM_WITH_A_VALID_TOKEN, with_a_valid_token
