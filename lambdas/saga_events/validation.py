"""Validating an event against its contract: the envelope and the data schema its `dataschema` names.

jsonschema-rs (Draft 2020-12, compiled in Rust) does the work: benchmarks/event_path.py
(figures in docs/performance.md) measured it well over ten times faster than the reference
python-jsonschema on our schemas, and faster than a compiled fastjsonschema, which besides
knows drafts 4 to 7 only. Every validator is compiled at import, in Lambda's init phase
(a few ms), so the first event pays nothing extra.

Each event type and version gets one validator: the envelope schema with `data` pointing
(`$ref`) at the data schema, both resolved from a registry of our own files, offline.
"""

import re
import uuid
from collections.abc import Iterable
from typing import Any

import jsonschema_rs
from rfc3339_validator import validate_rfc3339

from contracts import load_envelope_schema, load_event_schemas
from contracts.schemas import SCHEMA_BASE_URI
from saga_events.errors import InvalidEvent

_DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
_CANONICAL_UUID = re.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def _is_date_time(value: str) -> bool:
    # The reference's own check (jsonschema's FORMAT_CHECKER with rfc3339-validator). jsonschema-rs
    # alone also accepts a leap second (23:59:60Z), which the reference refuses: while a deployment
    # rolls, old and new functions must agree on what an event is, so formats keep their old meaning.
    return validate_rfc3339(value.upper())


def _is_uuid(value: str) -> bool:
    # As the reference: whatever uuid.UUID parses, with hyphens where the canonical form has them.
    # The canonical form, which is what producers write, is recognised without building a UUID.
    if _CANONICAL_UUID.fullmatch(value):
        return True
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return all(value[position] == "-" for position in (8, 13, 18, 23))


# Draft 2020-12 treats `format` as an annotation unless asked; our contracts assert it.
# Every format the contracts use is checked here exactly as the reference validator checks it
# (tests/contract/test_validation_parity.py refuses a schema with a format not in this map).
FORMAT_CHECKS = {"date-time": _is_date_time, "uuid": _is_uuid}


def _compile(schema: dict[str, Any], registry: jsonschema_rs.Registry) -> jsonschema_rs.Validator:
    # offline: a `$ref` outside our own schema files is an error, never a download.
    return jsonschema_rs.validator_for(
        schema, validate_formats=True, formats=FORMAT_CHECKS, registry=registry, offline=True
    )


def _compile_all() -> tuple[jsonschema_rs.Validator, dict[str, jsonschema_rs.Validator]]:
    envelope = load_envelope_schema()
    data_schemas = load_event_schemas()
    registry = jsonschema_rs.Registry([(envelope["$id"], envelope), *data_schemas.items()])
    events = {
        uri: _compile(
            {"$schema": _DRAFT_2020_12, "$ref": envelope["$id"], "properties": {"data": {"$ref": uri}}}, registry
        )
        for uri in data_schemas
    }
    return _compile(envelope, registry), events


_ENVELOPE, _EVENTS = _compile_all()


def validate_event(event: dict[str, Any]) -> None:
    """Raise InvalidEvent naming the first problem if `event` breaks the envelope or its schema."""
    dataschema = event.get("dataschema")
    validator = _EVENTS.get(dataschema) if isinstance(dataschema, str) else None
    if validator is None:
        _raise_first_error(_ENVELOPE.iter_errors(event), "envelope", root=0)
        raise InvalidEvent(f"{event['type']}: no schema is known for {dataschema}")
    if not validator.is_valid(event):
        envelope_errors, data_errors = [], []
        for error in validator.iter_errors(event):
            # The data schema's errors are those reached through `properties/data/$ref`.
            is_data = error.evaluation_path[:3] == ["properties", "data", "$ref"]
            (data_errors if is_data else envelope_errors).append(error)
        # In the order a reader checks an event: the envelope, the schema it names, then the data.
        _raise_first_error(envelope_errors, "envelope", root=0)
        _refuse_another_types_schema(event)
        _raise_first_error(data_errors, f"{event['type']} data", root=1)
        raise InvalidEvent(f"{event['type']} invalid")  # is_valid said no: never let it through
    _refuse_another_types_schema(event)


def _refuse_another_types_schema(event: dict[str, Any]) -> None:
    if not event["dataschema"].startswith(f"{SCHEMA_BASE_URI}/{event['type']}/"):
        raise InvalidEvent(f"{event['type']}: dataschema {event['dataschema']} is another type's")


def _raise_first_error(errors: Iterable[jsonschema_rs.ValidationError], what: str, root: int) -> None:
    """Raise the most general of `errors`, if any, placed within the instance below `root` path parts.

    Chosen as jsonschema's best_match chooses: the error nearest the instance's root (a missing
    object says more than the fields it would have had), then the last of siblings by path.
    """
    error = max(errors, key=lambda error: (-len(error.instance_path), error.instance_path), default=None)
    if error is not None:
        where = "/".join(str(part) for part in error.instance_path[root:]) or "(root)"
        raise InvalidEvent(f"{what} invalid at {where}: {error.message}")
