"""The order API against its own OpenAPI document, over real HTTP: no 5xx, every response documented.

schemathesis generates requests from the document the API serves (GET /openapi.json) and
checks each response's status, content type, headers and body against it.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from saga_client import SagaTarget

EXAMPLES_PER_OPERATION = 200
MINIMUM_REQUESTS = 500
schema = schemathesis.pytest.from_fixture("order_api_schema")
requests_sent: list[str] = []


@pytest.fixture(scope="module")
def order_api_schema(saga: SagaTarget) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{saga.api_url}/openapi.json", wait_for_schema=30)


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_response_is_what_the_document_promises(case, saga):
    response = case.call_and_validate(base_url=saga.api_url, timeout=30)
    requests_sent.append(f"{case.method} {case.formatted_path} -> {response.status_code}")


def test_enough_requests_were_generated():
    print(f"schemathesis sent {len(requests_sent)} requests")
    assert len(requests_sent) >= MINIMUM_REQUESTS
