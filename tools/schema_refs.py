"""Inline a schema's local `$ref`s so other tools can walk one self-contained tree."""

from typing import Any

Schema = dict[str, Any]

# Keywords whose value is a map of name -> subschema, and those holding one subschema or a list of them.
_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_SCHEMA_VALUES = ("items", "additionalProperties", "contains", "not", "if", "then", "else", "propertyNames")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")


def inline_local_refs(schema: Schema) -> Schema:
    """A copy of `schema` with every `#/...` `$ref` replaced by its target and `$defs` dropped.

    The docs, the AsyncAPI document and the compatibility checker all reason about the
    shape of an event, not how its schema file is factored; inlining lets a shared
    `$defs` entry be documented and compared wherever it is used.
    """
    inlined = _inline(schema, schema, ())
    inlined.pop("$defs", None)
    inlined.pop("definitions", None)
    return inlined


def _inline(node: Any, root: Schema, seen: tuple[str, ...]) -> Any:
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#"):
        if ref in seen:
            raise ValueError(f"recursive $ref {ref} cannot be inlined")
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        # In 2020-12 keywords next to $ref apply too; merging them keeps that meaning for
        # the annotations (description, title) they are used for in practice.
        return _inline({**_resolve(root, ref), **siblings}, root, (*seen, ref))
    out: Schema = {}
    for key, value in node.items():
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {name: _inline(sub, root, seen) for name, sub in value.items()}
        elif key in _SCHEMA_VALUES:
            out[key] = _inline(value, root, seen)
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            out[key] = [_inline(sub, root, seen) for sub in value]
        else:
            out[key] = value
    return out


def _resolve(root: Schema, ref: str) -> Schema:
    target: Any = root
    for token in ref.removeprefix("#").strip("/").split("/"):
        if not token:
            continue
        token = token.replace("~1", "/").replace("~0", "~")
        target = target[int(token)] if isinstance(target, list) else target[token]
    if not isinstance(target, dict):
        raise ValueError(f"$ref {ref} does not point at a schema object")
    return target
