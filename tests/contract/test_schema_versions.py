"""Schema versioning: the compatibility rules, and the repository's schemas against their released revisions."""

import copy
import json

import pytest

from contracts import load_catalog
from tools.compatibility import breaking_changes
from tools.released import RELEASED_DIR, current_schemas, revisions
from tools.schemas import check, find_breaking_changes, release_all

BASE = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["orderId", "status"],
    "properties": {
        "orderId": {"type": "string", "format": "uuid"},
        "status": {"type": "string", "enum": ["OPEN", "SHIPPED"]},
        "note": {"type": ["string", "null"], "minLength": 1, "maxLength": 100},
        "count": {"type": "number", "minimum": 0, "maximum": 10},
        "qty": {"type": "integer"},
        "kind": {"const": "standard"},
        "code": {"type": "string", "pattern": "^[A-Z]+$"},
        "lines": {
            "type": "array",
            "minItems": 1,
            "maxItems": 5,
            "items": {
                "type": "object",
                "required": ["sku"],
                "properties": {"sku": {"type": "string"}, "quantity": {"type": "integer"}},
            },
        },
        "address": {"type": "object", "properties": {"city": {"type": "string"}}},
        "meta": {"type": "object", "additionalProperties": False, "properties": {"tag": {"type": "string"}}},
        "total": {"$ref": "#/$defs/money"},
        "sealedToken": {
            "type": "string",
            "contentEncoding": "base64",
            "x-encrypted-for": "payment",
            "x-plaintext": {"type": "string", "pattern": "^tok_[a-z]+$"},
        },
    },
    "$defs": {"money": {"type": "object", "properties": {"amount": {"type": "integer", "maximum": 100}}}},
}


def changed(edit):
    schema = copy.deepcopy(BASE)
    edit(schema)
    return schema


def props(schema):
    return schema["properties"]


# (rule, JSON path, edit making a breaking change)
BREAKING = [
    ("property-removed", "$.note", lambda s: props(s).pop("note")),
    ("property-newly-required", "$.note", lambda s: s["required"].append("note")),
    ("property-no-longer-required", "$.status", lambda s: s["required"].remove("status")),
    ("type-narrowed", "$.note", lambda s: props(s)["note"].update(type="string")),
    ("type-narrowed", "$.count", lambda s: props(s)["count"].update(type="integer")),
    ("enum-narrowed", "$.status", lambda s: props(s)["status"].update(enum=["OPEN"])),
    ("const-changed", "$.kind", lambda s: props(s)["kind"].update(const="express")),
    ("pattern-changed", "$.code", lambda s: props(s)["code"].update(pattern="^[A-Z]{3}$")),
    ("pattern-changed", "$.note", lambda s: props(s)["note"].update(pattern="^[a-z]+$")),
    ("format-changed", "$.orderId", lambda s: props(s)["orderId"].update(format="uri")),
    ("format-changed", "$.code", lambda s: props(s)["code"].update(format="email")),
    ("constraint-tightened", "$.count", lambda s: props(s)["count"].update(minimum=1)),
    ("constraint-tightened", "$.count", lambda s: props(s)["count"].update(maximum=9)),
    ("constraint-tightened", "$.note", lambda s: props(s)["note"].update(minLength=2)),
    ("constraint-tightened", "$.note", lambda s: props(s)["note"].update(maxLength=50)),
    ("constraint-tightened", "$.lines", lambda s: props(s)["lines"].update(minItems=2)),
    ("constraint-tightened", "$.lines", lambda s: props(s)["lines"].update(maxItems=4)),
    ("constraint-tightened", "$.code", lambda s: props(s)["code"].update(maxLength=8)),
    ("additionalProperties-changed", "$.address", lambda s: props(s)["address"].update(additionalProperties=False)),
    (
        "additionalProperties-changed",
        "$.address",
        lambda s: props(s)["address"].update(additionalProperties={"type": "string"}),
    ),
    ("additionalProperties-changed", "$.meta", lambda s: props(s)["meta"].pop("additionalProperties")),
    ("property-added-to-closed-object", "$.meta.extra", lambda s: props(s)["meta"]["properties"].update(extra={})),
    ("type-narrowed", "$.lines[].sku", lambda s: props(s)["lines"]["items"]["properties"]["sku"].update(type="null")),
    ("property-removed", "$.lines[].quantity", lambda s: props(s)["lines"]["items"]["properties"].pop("quantity")),
    ("property-removed", "$.address.city", lambda s: props(s)["address"]["properties"].pop("city")),
    (
        "constraint-tightened",
        "$.total.amount",
        lambda s: s["$defs"]["money"]["properties"]["amount"].update(maximum=50),
    ),
    ("unanalysed-keyword-changed", "$.code", lambda s: props(s)["code"].update(anyOf=[{"minLength": 2}])),
    ("encrypted-for-changed", "$.sealedToken", lambda s: props(s)["sealedToken"].update({"x-encrypted-for": "order"})),
    ("encrypted-for-changed", "$.sealedToken", lambda s: props(s)["sealedToken"].pop("x-encrypted-for")),
    (
        "pattern-changed",
        "$.sealedToken<decrypted>",
        lambda s: props(s)["sealedToken"]["x-plaintext"].update(pattern="^tok_[a-z]{4}$"),
    ),
]

# (what changes, edit making a compatible change): the counterpart of each breaking rule
COMPATIBLE = [
    ("new-optional-property", lambda s: props(s).update(extra={"type": "string"})),
    ("required-reordered", lambda s: s.update(required=["status", "orderId"])),
    ("type-widened-to-nullable", lambda s: props(s)["code"].update(type=["string", "null"])),
    ("type-widened-integer-to-number", lambda s: props(s)["qty"].update(type="number")),
    ("enum-widened", lambda s: props(s)["status"].update(enum=["OPEN", "SHIPPED", "RETURNED"])),
    ("const-removed", lambda s: props(s)["kind"].pop("const")),
    ("pattern-removed", lambda s: props(s)["code"].pop("pattern")),
    ("format-removed", lambda s: props(s)["orderId"].pop("format")),
    ("number-bounds-loosened", lambda s: props(s)["count"].update(minimum=-1, maximum=11)),
    ("length-bounds-loosened", lambda s: props(s)["note"].update(minLength=0, maxLength=200)),
    ("item-count-bounds-loosened", lambda s: props(s)["lines"].update(minItems=0, maxItems=6)),
    ("additionalProperties-absent-to-true", lambda s: props(s)["address"].update(additionalProperties=True)),
    ("additionalProperties-absent-to-empty-schema", lambda s: props(s)["address"].update(additionalProperties={})),
    (
        "new-optional-property-in-items",
        lambda s: props(s)["lines"]["items"]["properties"].update(colour={"type": "string"}),
    ),
    ("ref-inlined", lambda s: props(s).update(total=s["$defs"].pop("money"))),
    (
        "property-annotations-changed",
        lambda s: props(s)["code"].update(title="Code", description="A code.", examples=["ABC"]),
    ),
    ("schema-annotations-changed", lambda s: s.update(title="Changed title", description="Now described")),
    ("decrypted-pattern-removed", lambda s: props(s)["sealedToken"]["x-plaintext"].pop("pattern")),
]


@pytest.mark.parametrize(("rule", "path", "edit"), BREAKING, ids=[f"{r}-{p}" for r, p, _ in BREAKING])
def test_breaking_change_is_reported(rule, path, edit):
    changes = breaking_changes(BASE, changed(edit))
    assert (path, rule) in {(c.path, c.rule) for c in changes}, changes


@pytest.mark.parametrize(("change", "edit"), COMPATIBLE, ids=[c for c, _ in COMPATIBLE])
def test_compatible_change_is_not_reported(change, edit):
    assert breaking_changes(BASE, changed(edit)) == []


def test_identical_schemas_have_no_breaking_changes():
    assert breaking_changes(BASE, copy.deepcopy(BASE)) == []


def test_breaking_changes_does_not_modify_its_arguments():
    old, new = copy.deepcopy(BASE), changed(lambda s: props(s).pop("note"))
    snapshot = json.dumps([old, new], sort_keys=True)
    breaking_changes(old, new)
    assert json.dumps([old, new], sort_keys=True) == snapshot


def test_every_current_schema_is_compatible_with_all_released_revisions_of_its_major():
    assert find_breaking_changes() == []


def test_every_current_schema_has_a_released_revision():
    unreleased = [s.label for s in current_schemas() if not revisions(s)]
    assert unreleased == [], "release them with `python -m tools.schemas release`"


def test_released_revisions_are_numbered_from_one_without_gaps():
    # One schema per catalog entry (an event type at a major version), none missing, none stray.
    assert sorted((s.type, s.major) for s in current_schemas()) == sorted(
        (e.type, e.version) for e in load_catalog().events
    )
    for schema in current_schemas():
        numbers = [r.number for r in revisions(schema)]
        assert numbers == list(range(1, len(numbers) + 1)), schema.label


def write_schema(events_dir, schema, event_type="order.placed", major=1):
    path = events_dir / event_type / f"v{major}.schema.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(schema))


def test_release_and_check_commands(tmp_path, capsys):
    events, released = tmp_path / "events", tmp_path / "released"
    write_schema(events, BASE)
    assert release_all(events, released) == 0
    assert (released / "order.placed" / "v1" / "1.schema.json").exists()

    write_schema(events, changed(lambda s: props(s).update(extra={"type": "string"})))
    assert check(events, released) == 0
    assert release_all(events, released) == 0
    assert (released / "order.placed" / "v1" / "2.schema.json").exists()

    write_schema(events, changed(lambda s: props(s)["count"].update(maximum=9)))
    capsys.readouterr()
    assert check(events, released) == 1
    assert release_all(events, released) == 1
    assert not (released / "order.placed" / "v1" / "3.schema.json").exists()
    err = capsys.readouterr().err
    assert "order.placed v1 (against released revision 1): $.count: constraint-tightened" in err
    assert "order.placed v1 (against released revision 2): $.count: constraint-tightened" in err


def test_a_retired_major_version_keeps_its_history_and_has_left_the_catalog():
    """Retired = released once, no longer in contracts/events/: nobody may publish or consume it."""
    current = {(s.type, s.major) for s in current_schemas()}
    released = {(path.parent.name, int(path.name.removeprefix("v"))) for path in RELEASED_DIR.glob("*/v*")}
    retired = released - current
    assert ("order.placed", 1) in retired  # it carried the payment token and street address in clear
    assert ("order.placed", 2) in retired  # its last consumer, inventory, reads v3
    listed = {(event.type, event.version) for event in load_catalog().events}
    assert retired & listed == set()
