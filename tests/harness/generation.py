"""Events generated from the contracts' JSON Schemas, with hypothesis-jsonschema.

hypothesis-jsonschema 0.23.1 (the latest release) drives objects with Hypothesis's private
`cu.many(...).more()`; Hypothesis 6.15x+ replaced that with a context manager, so every
object schema fails with "'many' object has no attribute 'more'". Until a release catches
up, the old protocol is rebuilt here on the new one, for hypothesis-jsonschema alone.

It also builds the strategy of every property of an object again at each draw (canonicalising
the subschema, merging, wrapping); the strategies are memoised here by schema, which halves
the CPU of drawing an order.placed and draws exactly what it drew before.
"""

import copy
import json
from functools import cache
from types import SimpleNamespace
from typing import Any

import hypothesis_jsonschema._from_schema as _hjs
from hypothesis import strategies as st
from hypothesis.internal.conjecture import utils as _conjecture
from hypothesis_jsonschema import from_schema

from contracts import load_catalog, load_event_schemas

# jsonschema checks "uuid"; hypothesis-jsonschema would generate any text for it.
FORMATS = {"uuid": st.uuids().map(str)}


class _ManyWithMore:
    """`many(...)` as hypothesis-jsonschema 0.23 calls it: `while elements.more(): ... elements.reject()`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._many = _conjecture.many(*args, **kwargs)
        self._elements: Any = None

    def more(self) -> bool:
        if self._elements is None:
            self._elements = iter(self._many.__enter__())
        try:
            next(self._elements)
        except StopIteration:
            self._many.__exit__(None, None, None)
            return False
        return True

    def reject(self, why: str | None = None) -> None:
        self._many.reject(why)


if not hasattr(_conjecture.many, "more"):
    _hjs.cu = SimpleNamespace(**{**vars(_conjecture), "many": _ManyWithMore})


_build_strategy = getattr(_hjs, "__from_schema")
# (schema as canonical JSON, alphabet, formats) -> (strategy, alphabet, formats); the last two
# kept alive so that their ids in the key cannot be reused by other objects.
_strategies: dict[tuple[str, int, int], tuple[st.SearchStrategy[Any], Any, Any]] = {}


def _memoised_strategy(schema: Any, *, alphabet: Any, custom_formats: Any) -> st.SearchStrategy[Any]:
    key = (json.dumps(schema, sort_keys=True, default=repr), id(alphabet), id(custom_formats))
    if key not in _strategies:
        _strategies[key] = (
            _build_strategy(schema, alphabet=alphabet, custom_formats=custom_formats),
            alphabet,
            custom_formats,
        )
    return _strategies[key][0]


setattr(_hjs, "__from_schema", _memoised_strategy)


def _for_generation(schema: dict[str, Any], max_items: int) -> dict[str, Any]:
    """A copy with arrays capped, to keep generation fast. Generated data is still checked
    against the real schema."""
    schema = copy.deepcopy(schema)

    def cap(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "array":
                node["maxItems"] = min(node.get("maxItems", max_items), max_items)
            for value in node.values():
                cap(value)
        elif isinstance(node, list):
            for value in node:
                cap(value)

    cap(schema)
    return schema


@cache
def event_data(event_type: str, version: int = 1, max_items: int = 4) -> st.SearchStrategy[dict[str, Any]]:
    """The `data` of valid events of this type, generated from its schema."""
    schema = load_event_schemas()[load_catalog().contract(event_type, version).dataschema]
    return from_schema(_for_generation(schema, max_items), custom_formats=FORMATS)
