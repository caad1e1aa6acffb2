"""Checks that moto's internals still look the way a patch relies on."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

_PATCHED = "_localcloud_patched"


class MotoChanged(RuntimeError):
    """moto's internals moved; the named patch must be reviewed against the new moto."""


def require(condition: object, patch: str, what: str) -> None:
    if not condition:
        raise MotoChanged(f"{what}; review localcloud/emulator/patches/{patch}.py against this moto")


def require_source(function: Callable[..., Any], patch: str, *fragments: str) -> None:
    """Require each fragment in the function's source, whitespace ignored."""
    source = _squeezed(inspect.getsource(function))
    for fragment in fragments:
        require(
            _squeezed(fragment) in source,
            patch,
            f"{function.__qualname__} no longer contains {fragment!r}",
        )


def is_patched(function: Callable[..., Any]) -> bool:
    return getattr(function, _PATCHED, False)


def mark_patched(function: Callable[..., Any]) -> Callable[..., Any]:
    setattr(function, _PATCHED, True)
    return function


def _squeezed(text: str) -> str:
    return "".join(text.split())
