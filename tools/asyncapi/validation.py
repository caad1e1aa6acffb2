"""Validate an AsyncAPI document against the vendored official AsyncAPI 3.0.0 JSON Schema (see README.md)."""

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator

OFFICIAL_SCHEMA_PATH = Path(__file__).resolve().parent / "asyncapi-3.0.0.schema.json"


@cache
def _validator() -> Draft7Validator:
    schema = json.loads(OFFICIAL_SCHEMA_PATH.read_text())
    # The official schema declares draft-07; its $refs are all local, so no network is needed.
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema)


def asyncapi_errors(document: dict[str, Any]) -> list[str]:
    """Every violation of the AsyncAPI 3.0.0 schema, as `path: message`; empty when valid."""
    errors = sorted(_validator().iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))
    return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in errors]
