"""Deterministic example events, built from the event schemas and checked by the publish-path validator.

Docs must never show an event the system would refuse, so every example is
validated with `saga_events.validation.validate_event`, the same check the
publish path runs before PutEvents.
"""

import random
import sys
import uuid
from pathlib import Path
from typing import Any

from hypothesis import find, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from contracts import Catalog, EventContract
from tools.schema_refs import Schema

ORDER_ID = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
EXAMPLE_TIME = "2026-03-01T09:30:00Z"
# saga_events is a Lambda-bundle package under lambdas/; pytest puts that on sys.path, `python -m tools.docs` does not.
_LAMBDAS_DIR = str(Path(__file__).resolve().parent.parent / "lambdas")
if _LAMBDAS_DIR not in sys.path:
    sys.path.append(_LAMBDAS_DIR)

from saga_events.validation import validate_event  # noqa: E402

_NAMESPACE = uuid.UUID("0b6b3f5e-4f3c-4c4a-9d2e-6a1f7f0d2a11")

# Readable values for fields whose schema allows them. A hint is only a preference:
# it is used only if it validates against the field's schema, otherwise the value is
# derived from the schema alone, so a schema change can never make an example wrong.
_HINTS: dict[str, Any] = {
    "orderId": ORDER_ID,
    "customerId": "cust-0042",
    "paymentId": "pay-5f2c9a",
    "shipmentId": "shp-81d7e3",
    "sku": "MUG-BLUE",
    "skus": "MUG-BLUE",
    "quantity": 1,
    "amount": 2500,
    "currency": "EUR",
    "country": "DE",
    "shippingCountry": "DE",
    "paymentMethodToken": "tok_visa_4242",
    "recipient": "Ada Lovelace",
    "line1": "12 Example Street",
    "city": "Berlin",
    "postalCode": "10115",
    "points": 25,
    "detail": "Cancelled at the customer's request.",
    # Stand-ins for KMS ciphertexts (base64): an example never shows what a field encrypts.
    "encryptedPaymentMethodToken": "AQICAHhPYXltZW50J3Mga2V5IGFsb25lIG9wZW5zIHRoaXM=",
    "encryptedShippingAddress": "AQICAHhTaGlwcGluZydzIGtleSBhbG9uZSBvcGVucyB0aGlz",
}

_FORMATS: dict[str, str] = {
    "date-time": EXAMPLE_TIME,
    "date": EXAMPLE_TIME[:10],
    "time": EXAMPLE_TIME[11:],
    "email": "ada@example.com",
    "uri": "https://example.com/",
    "hostname": "example.com",
    "ipv4": "192.0.2.1",
}


def example_data(schema: Schema, path: str = "$") -> Any:
    """A value valid under `schema` (inlined, no `$ref`), the same on every run."""
    name = path.rsplit(".", 1)[-1].removesuffix("[]")
    if name in _HINTS and _valid(_HINTS[name], schema):
        return _HINTS[name]
    for keyword in ("const", "default"):
        if keyword in schema:
            return schema[keyword]
    for keyword in ("examples", "enum"):
        if schema.get(keyword):
            return schema[keyword][0]
    kind = _first_type(schema)
    if kind == "object":
        props = schema.get("properties", {})
        return {key: example_data(sub, f"{path}.{key}") for key, sub in props.items()}
    if kind == "array":
        count = max(1, schema.get("minItems", 0))
        return [example_data(schema.get("items", {}), f"{path}[]") for _ in range(count)]
    if kind == "string":
        return _example_string(schema, path)
    if kind in ("integer", "number"):
        return _example_number(schema)
    if kind == "boolean":
        return True
    return None


def _valid(value: Any, schema: Schema) -> bool:
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return validator.is_valid(value)


def _first_type(schema: Schema) -> str:
    declared = schema.get("type", "object" if "properties" in schema else "string")
    if isinstance(declared, str):
        return declared
    # Show a real value rather than null when a field is nullable.
    return next((t for t in declared if t != "null"), "null")


def _example_string(schema: Schema, path: str) -> str:
    if schema.get("format") == "uuid":
        return str(uuid.uuid5(_NAMESPACE, path))
    if schema.get("format") in _FORMATS:
        return _FORMATS[schema["format"]]
    if "pattern" in schema:
        return _from_pattern(schema["pattern"])
    text = path.rsplit(".", 1)[-1].removesuffix("[]") or "text"
    text = text.ljust(schema.get("minLength", 0), "x")
    return text[: schema.get("maxLength", len(text))]


def _example_number(schema: Schema) -> int | float:
    value = 1
    if "minimum" in schema:
        value = max(value, schema["minimum"])
    if "exclusiveMinimum" in schema:
        value = max(value, schema["exclusiveMinimum"] + 1)
    if "maximum" in schema:
        value = min(value, schema["maximum"])
    if "exclusiveMaximum" in schema:
        value = min(value, schema["exclusiveMaximum"] - 1)
    return value


def _from_pattern(pattern: str) -> str:
    """The simplest string the pattern accepts, as hypothesis shrinks it (the same on every run)."""
    return find(
        st.from_regex(pattern, fullmatch=True),
        lambda _: True,
        settings=settings(database=None, max_examples=10),
        random=random.Random(0),
    )


def example_event(catalog: Catalog, contract: EventContract, schema: Schema) -> dict[str, Any]:
    """A full CloudEvent for `contract`, as its producer would publish it, validated before it is returned."""
    data = example_data(schema)
    order_id = data.get("orderId", ORDER_ID) if isinstance(data, dict) else ORDER_ID
    event = {
        "specversion": "1.0",
        "id": str(uuid.uuid5(_NAMESPACE, f"{contract.type}/v{contract.version}")),
        "source": catalog.source_of(contract.producer),
        "type": contract.type,
        "time": EXAMPLE_TIME,
        "datacontenttype": "application/json",
        "dataschema": contract.dataschema,
        "correlationid": order_id,
        "causationid": str(uuid.uuid5(_NAMESPACE, f"cause-of/{contract.type}")),
        "data": data,
    }
    validate_event(event)
    return event
