"""Encrypted fields: which property of which event only one context may read.

A schema marks such a property with `x-encrypted-for: <context>`; its value is a KMS
ciphertext (base64) under that context's field key, and `x-plaintext` is the schema of
what the reader gets back. Keys, key policies and each function's environment are
derived from these marks, so the schema is the one place that says who reads what.
"""

from dataclasses import dataclass
from functools import cache
from typing import Any

from contracts.schemas import load_event_schemas

ENCRYPTED_FOR = "x-encrypted-for"
PLAINTEXT = "x-plaintext"


@dataclass(frozen=True)
class SealedField:
    event_type: str
    version: int
    field: str  # the top-level property in the event's data
    reader: str  # the one context that may decrypt it
    plaintext_schema: dict[str, Any]


@cache
def sealed_fields() -> tuple[SealedField, ...]:
    """Every encrypted property of every current event schema."""
    found = []
    for uri, schema in sorted(load_event_schemas().items()):
        event_type, version = uri.rsplit("/", 2)[-2], int(uri.rsplit("/v", 1)[1].removesuffix(".json"))
        for field, spec in schema.get("properties", {}).items():
            if ENCRYPTED_FOR in spec:
                found.append(SealedField(event_type, version, field, spec[ENCRYPTED_FOR], spec.get(PLAINTEXT, {})))
    return tuple(found)


def sealed_field(event_type: str, version: int, field: str) -> SealedField:
    for sealed in sealed_fields():
        if (sealed.event_type, sealed.version, sealed.field) == (event_type, version, field):
            return sealed
    raise KeyError(f"{event_type} v{version} has no encrypted field {field}")
