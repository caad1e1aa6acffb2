"""EventBridge input paths, parsed once per expression.

For every target of every rule an event matches, moto's `EventTemplateParser.parse` parses each
input path again with `jsonpath_ng.ext.parse` (its default paths map too, when a target has no
InputTransformer), and that parser rebuilds its grammar tables on each call: about 10% of the
moto server's CPU under load (py-spy, a chaos run). The expressions are a handful of constant
strings and a parsed expression is only read (`find`), so each is parsed once. Like the KMS
patch, this changes no behaviour, only its cost.
"""

from __future__ import annotations

import functools

from localcloud.emulator.patches.moto_shape import is_patched, mark_patched, require, require_source

# Input paths are few (the default map and each rule's InputPathsMap); the bound only guards
# against a client making endless distinct ones.
MAX_EXPRESSIONS = 1024


def apply() -> None:
    import jsonpath_ng.ext
    from moto.events.utils import EventTemplateParser

    if is_patched(jsonpath_ng.ext.parse):
        return
    # moto imports the function inside `parse` at each call, so the cached one is what it gets.
    require_source(
        EventTemplateParser.parse,
        "eventbridge_input_paths_parsed_once",
        "from jsonpath_ng.ext import parse",
        "input_expr = parse(input_paths_map[input_path])",
    )
    jsonpath_ng.ext.parse = mark_patched(functools.lru_cache(maxsize=MAX_EXPRESSIONS)(jsonpath_ng.ext.parse))
    require(is_patched(jsonpath_ng.ext.parse), "eventbridge_input_paths_parsed_once", "could not be replaced")
