"""The reference verdict on an event: python-jsonschema, the reference implementation of JSON Schema.

Draft 2020-12 with its format checker, the envelope first, then the data schema the event's
`dataschema` names: what saga_events validated with before it moved to jsonschema-rs. The
parity tests hold the fast validator to it, and benchmarks/event_path.py measures against it.
"""

from dataclasses import dataclass
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from contracts import load_envelope_schema, load_event_schemas
from contracts.schemas import SCHEMA_BASE_URI


@dataclass(frozen=True)
class Refusal:
    part: str  # "envelope", "dataschema" or "data"
    path: tuple[str | int, ...]  # where in that part (the event, or its data)
    message: str


def _compile(schema: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


@cache
def _validators() -> tuple[Draft202012Validator, dict[str, Draft202012Validator]]:
    return _compile(load_envelope_schema()), {uri: _compile(s) for uri, s in load_event_schemas().items()}


def reference_refusal(event: dict[str, Any]) -> Refusal | None:
    """Why the reference refuses `event`, or None if it accepts it."""
    envelope, data_validators = _validators()
    error = best_match(envelope.iter_errors(event))
    if error is not None:
        return Refusal("envelope", tuple(error.absolute_path), error.message)
    validator = data_validators.get(event["dataschema"])
    if validator is None:
        return Refusal("dataschema", (), f"no schema is known for {event['dataschema']}")
    if not event["dataschema"].startswith(f"{SCHEMA_BASE_URI}/{event['type']}/"):
        return Refusal("dataschema", (), f"dataschema {event['dataschema']} is another type's")
    error = best_match(validator.iter_errors(event["data"]))
    if error is not None:
        return Refusal("data", tuple(error.absolute_path), error.message)
    return None
