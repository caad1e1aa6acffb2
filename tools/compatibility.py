"""Which differences between two revisions of one event schema break someone.

Events outlive the schema they were written with: they sit in queues, DLQs and
stores while producers and consumers deploy at different times. A change within a
major version must therefore work in both directions:

- stored and in-flight events (valid under the old schema) must stay valid under
  the new one, so nothing may be tightened: no new required property, narrower
  type or enum, new or changed const/pattern/format, stricter bound;
- consumers written against the old schema must still get what they rely on, so
  nothing they were promised may disappear: no removed property, no property
  that stops being required, no change to what `additionalProperties` means.

Loosening (a new optional property, a wider enum or type, a relaxed bound) and
annotations (title, description, examples) are compatible: consumers read
tolerantly. Anything this module cannot reason about (composition keywords,
external `$ref`s) counts as breaking, so the check fails closed.

Pure functions over parsed schemas; no I/O.
"""

import json
from dataclasses import dataclass
from typing import Any

from contracts.sealed import ENCRYPTED_FOR, PLAINTEXT
from tools.schema_refs import inline_local_refs

Schema = dict[str, Any]

# Bounds that only ever tighten when raised, and those that tighten when lowered.
_LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
_UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")
# Keywords whose effect on compatibility is not analysed: any change to them is flagged.
_UNANALYSED = (
    "allOf",
    "anyOf",
    "oneOf",
    "not",
    "if",
    "then",
    "else",
    "patternProperties",
    "propertyNames",
    "dependentRequired",
    "dependentSchemas",
    "prefixItems",
    "contains",
    "unevaluatedProperties",
    "unevaluatedItems",
    "$ref",
    "$dynamicRef",
)
_ALL_TYPES = frozenset({"null", "boolean", "object", "array", "number", "integer", "string"})


@dataclass(frozen=True)
class Change:
    """One breaking difference: where (a JSON path into the event data), which rule, and what."""

    path: str
    rule: str
    detail: str

    def __str__(self) -> str:
        return f"{self.path}: {self.rule}: {self.detail}"


def breaking_changes(old: Schema, new: Schema) -> list[Change]:
    """Every breaking difference between an `old` released schema and a `new` one of the same major."""
    changes: list[Change] = []
    _compare(inline_local_refs(old), inline_local_refs(new), "$", changes)
    return changes


def _compare(old: Any, new: Any, path: str, out: list[Change]) -> None:
    # Boolean schemas: `true` accepts anything, `false` nothing.
    old, new = _as_schema(old), _as_schema(new)
    if old == new:
        return
    _compare_types(old, new, path, out)
    _compare_values(old, new, path, out)
    _compare_string_rules(old, new, path, out)
    _compare_bounds(old, new, path, out)
    _compare_properties(old, new, path, out)
    _compare_additional_properties(old, new, path, out)
    if "items" in old or "items" in new:
        _compare(old.get("items", True), new.get("items", True), f"{path}[]", out)
    _compare_encryption(old, new, path, out)
    for keyword in _UNANALYSED:
        if old.get(keyword) != new.get(keyword):
            out.append(Change(path, "unanalysed-keyword-changed", f"`{keyword}` changed; treated as breaking"))


def _compare_encryption(old: Schema, new: Schema, path: str, out: list[Change]) -> None:
    """An encrypted field (contracts/sealed.py): its reader is part of the contract, and what it
    decrypts to follows the same rules as any other value."""
    if old.get(ENCRYPTED_FOR) != new.get(ENCRYPTED_FOR):
        before, after = old.get(ENCRYPTED_FOR, "nobody"), new.get(ENCRYPTED_FOR, "nobody")
        out.append(Change(path, "encrypted-for-changed", f"readable by {before} -> {after}"))
    if PLAINTEXT in old or PLAINTEXT in new:
        _compare(old.get(PLAINTEXT, True), new.get(PLAINTEXT, True), f"{path}<decrypted>", out)


def _as_schema(schema: Any) -> Schema:
    if schema is True:
        return {}
    if schema is False:
        return {"not": {}}
    return schema


def _types(schema: Schema) -> frozenset[str]:
    declared = schema.get("type")
    if declared is None:
        return _ALL_TYPES
    return frozenset([declared] if isinstance(declared, str) else declared)


def _compare_types(old: Schema, new: Schema, path: str, out: list[Change]) -> None:
    old_types, new_types = _types(old), _types(new)
    # An integer is a number, so number admits every old integer.
    lost = {t for t in old_types if t not in new_types and not (t == "integer" and "number" in new_types)}
    if lost:
        out.append(
            Change(
                path, "type-narrowed", f"type {_show_types(old_types)} -> {_show_types(new_types)} drops {sorted(lost)}"
            )
        )


def _show_types(types: frozenset[str]) -> str:
    return "any" if types == _ALL_TYPES else "/".join(sorted(types))


def _canonical(value: Any) -> str:
    # JSON text, not Python equality: True == 1 in Python but not in JSON Schema.
    return json.dumps(value, sort_keys=True)


def _allowed_values(schema: Schema) -> set[str] | None:
    """The values `const`/`enum` allow (as canonical JSON), or None when unrestricted."""
    if "const" in schema:
        return {_canonical(schema["const"])}
    if "enum" in schema:
        return {_canonical(v) for v in schema["enum"]}
    return None


def _compare_values(old: Schema, new: Schema, path: str, out: list[Change]) -> None:
    if "const" in new and ("const" not in old or _canonical(old["const"]) != _canonical(new["const"])):
        before = _canonical(old["const"]) if "const" in old else "none"
        out.append(Change(path, "const-changed", f"const {before} -> {_canonical(new['const'])}"))
        return
    if "enum" not in new:
        return
    old_values = _allowed_values(old)
    if old_values is None:
        out.append(Change(path, "enum-narrowed", f"enum {_canonical(new['enum'])} added to an unrestricted value"))
        return
    removed = sorted(old_values - {_canonical(v) for v in new["enum"]})
    if removed:
        out.append(Change(path, "enum-narrowed", f"values removed: {', '.join(removed)}"))


def _compare_string_rules(old: Schema, new: Schema, path: str, out: list[Change]) -> None:
    for keyword in ("pattern", "format"):
        if keyword in new and old.get(keyword) != new[keyword]:
            before = repr(old[keyword]) if keyword in old else "none"
            out.append(Change(path, f"{keyword}-changed", f"{keyword} {before} -> {new[keyword]!r}"))


def _compare_bounds(old: Schema, new: Schema, path: str, out: list[Change]) -> None:
    for keyword in _LOWER_BOUNDS:
        if keyword in new and (keyword not in old or new[keyword] > old[keyword]):
            out.append(_tightened(path, keyword, old, new, "raised"))
    for keyword in _UPPER_BOUNDS:
        if keyword in new and (keyword not in old or new[keyword] < old[keyword]):
            out.append(_tightened(path, keyword, old, new, "lowered"))
    if "multipleOf" in new and old.get("multipleOf") != new["multipleOf"]:
        out.append(_tightened(path, "multipleOf", old, new, "changed"))
    if new.get("uniqueItems") is True and old.get("uniqueItems") is not True:
        out.append(_tightened(path, "uniqueItems", old, new, "set"))


def _tightened(path: str, keyword: str, old: Schema, new: Schema, how: str) -> Change:
    before = old.get(keyword, "none")
    return Change(path, "constraint-tightened", f"{keyword} {how}: {before} -> {new[keyword]}")


def _compare_properties(old: Schema, new: Schema, path: str, out: list[Change]) -> None:
    old_props: dict[str, Any] = old.get("properties", {})
    new_props: dict[str, Any] = new.get("properties", {})
    old_required, new_required = set(old.get("required", ())), set(new.get("required", ()))
    for name in sorted(old_props.keys() - new_props.keys()):
        out.append(Change(f"{path}.{name}", "property-removed", "consumers written against the old schema read it"))
    for name in sorted(new_required - old_required):
        out.append(Change(f"{path}.{name}", "property-newly-required", "events already stored may not carry it"))
    for name in sorted(old_required - new_required):
        out.append(Change(f"{path}.{name}", "property-no-longer-required", "consumers rely on it being present"))
    added = sorted(new_props.keys() - old_props.keys())
    old_additional = old.get("additionalProperties", True)
    for name in added:
        if old_additional is False:
            out.append(
                Change(f"{path}.{name}", "property-added-to-closed-object", "old validators reject unknown properties")
            )
        elif isinstance(old_additional, dict) and old_additional:
            # Stored events may already carry it, shaped by the old additionalProperties schema.
            _compare(old_additional, new_props[name], f"{path}.{name}", out)
    for name in sorted(old_props.keys() & new_props.keys()):
        _compare(old_props[name], new_props[name], f"{path}.{name}", out)


def _additional(schema: Schema) -> Any:
    value = schema.get("additionalProperties", True)
    return True if value == {} else value


def _compare_additional_properties(old: Schema, new: Schema, path: str, out: list[Change]) -> None:
    before, after = _additional(old), _additional(new)
    if before == after:
        return
    if isinstance(before, dict) and isinstance(after, dict):
        _compare(before, after, f"{path}.*", out)
        return
    out.append(
        Change(
            path,
            "additionalProperties-changed",
            f"additionalProperties {_canonical(before)} -> {_canonical(after)} changes what unknown properties mean",
        )
    )
