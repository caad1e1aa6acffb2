"""The order API against its own OpenAPI document, over real HTTP: no 5xx, every response documented.

schemathesis generates requests from the document the API serves (GET /openapi.json) and
checks each response's status, content type, headers and body against it.
"""

import uuid

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from saga_client import SagaTarget

# Examples per operation. Each accepted POST starts a saga (about ten events through the
# emulator), so POST gets fewer than the cheap reads and refusals.
OPERATIONS = {"POST /orders": 100, "GET /orders/{order_id}": 250, "POST /orders/{order_id}/cancel": 200}
# Each operation's own test must have sent at least this share of its examples (550 requests in all):
# Hypothesis may stop a little early when it judges the space explored.
MINIMUM_SHARE = 0.9


@pytest.fixture(scope="module")
def order_api(saga: SagaTarget) -> schemathesis.BaseSchema:
    # Loaded in a fixture, not at import, because the API exists only once the cloud is up.
    # (schemathesis' own lazy fixture loader fails under pytest 9: it sets Function._nodeid.)
    return schemathesis.openapi.from_url(f"{saga.api_url}/openapi.json", wait_for_schema=30)


def test_the_document_lists_exactly_the_operations_under_test(order_api):
    served = {f"{op.method.upper()} {op.path}" for op in (result.ok() for result in order_api.get_all_operations())}
    assert served == set(OPERATIONS)


@pytest.mark.parametrize("label", list(OPERATIONS))
def test_every_response_is_what_the_document_promises(order_api, saga, label):
    method, path = label.split(" ", 1)
    operation = order_api[path][method]
    requests_sent: list[str] = []

    @given(case=operation.as_strategy())
    @settings(
        max_examples=OPERATIONS[label],
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def conforms(case: schemathesis.Case) -> None:
        if case.headers and "idempotency-key" in case.headers:
            # Generated keys repeat ("0", "00"...) across different bodies, which the API rightly
            # refuses (422, as the IETF Idempotency-Key draft says); reuse is tested end to end.
            case.headers["idempotency-key"] = str(uuid.uuid4())
        response = case.call_and_validate(base_url=saga.api_url, timeout=30)
        requests_sent.append(f"{case.method} {case.formatted_path} -> {response.status_code}")

    conforms()

    print(f"schemathesis sent {len(requests_sent)} requests to {label}")
    assert len(requests_sent) >= MINIMUM_SHARE * OPERATIONS[label], requests_sent[-5:]
