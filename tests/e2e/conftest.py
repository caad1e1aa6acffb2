"""What the e2e scenarios share beyond the running system itself (tests/conftest.py)."""

import pytest
from jsonschema import Draft202012Validator

from saga_client import SagaTarget


@pytest.fixture(scope="session")
def problem_schema(saga: SagaTarget) -> Draft202012Validator:
    """The error body exactly as the served OpenAPI document states it: every refusal must match."""
    document = saga.http("GET", "/openapi.json", anonymous=True).body
    return Draft202012Validator({"$ref": "#/components/schemas/Problem", "components": document["components"]})
