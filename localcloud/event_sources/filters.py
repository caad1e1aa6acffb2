"""Event source mapping filterCriteria, matched with moto's EventBridge pattern engine."""

from __future__ import annotations

import contextlib
import json
from typing import Any


class RecordFilter:
    """Lambda keeps a record if any pattern matches; no patterns keep everything."""

    def __init__(self, patterns: list[str]) -> None:
        self._patterns: list[Any] = []
        if patterns:
            # Same syntax as EventBridge patterns, so reuse the engine we trust there.
            from moto.events.models import EventPattern

            self._patterns = [EventPattern.load(p) for p in patterns]

    def __bool__(self) -> bool:
        return bool(self._patterns)

    def keeps(self, record: dict[str, Any]) -> bool:
        if not self._patterns:
            return True
        return any(p.matches_event(record) for p in self._patterns)


def sqs_filter_view(record: dict[str, Any]) -> dict[str, Any]:
    # Lambda matches SQS filters against the record with the body parsed when it is JSON.
    view = dict(record)
    with contextlib.suppress(TypeError, ValueError):
        view["body"] = json.loads(record["body"])
    return view
