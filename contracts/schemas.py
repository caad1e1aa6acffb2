"""Where the schema files live and how their URIs are spelt."""

import json
from pathlib import Path
from typing import Any

CONTRACTS_DIR = Path(__file__).resolve().parent
EVENTS_DIR = CONTRACTS_DIR / "events"
ENVELOPE_SCHEMA_PATH = CONTRACTS_DIR / "envelope" / "cloudevent.schema.json"
SCHEMA_BASE_URI = "https://schemas.order-saga.example/events"

Schema = dict[str, Any]


def dataschema_uri(event_type: str, version: int) -> str:
    """The `dataschema` attribute (and the schema's `$id`) of one type at one major version."""
    return f"{SCHEMA_BASE_URI}/{event_type}/v{version}.json"


def load_envelope_schema() -> Schema:
    return json.loads(ENVELOPE_SCHEMA_PATH.read_text())


def load_event_schemas() -> dict[str, Schema]:
    """Every current event schema, keyed by its `$id` (the dataschema URI)."""
    schemas: dict[str, Schema] = {}
    for path in sorted(EVENTS_DIR.glob("*/v*.schema.json")):
        schema = json.loads(path.read_text())
        schemas[schema["$id"]] = schema
    return schemas
