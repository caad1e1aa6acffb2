"""The global bus's event log (a CloudWatch Logs group fed by a catch-all rule), read for people.

Every entry is an EventBridge envelope whose `detail` is the CloudEvent. `events_of` reads one
order's entries; `follow` polls FilterLogEvents for new ones, which CloudWatch Logs filters by
time on its side. Entries can be ingested a little after their timestamp on AWS, so each poll
looks back a few seconds and drops what it already showed, by the log event's id.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

from contracts import load_catalog
from saga_client import SagaTarget

POLL_SECONDS = 0.5
_LOOK_BACK_MS = 10_000


@dataclass(frozen=True)
class LoggedEvent:
    logged_at: int  # epoch ms: when the bus delivered it to the log
    log_id: str
    time: str
    source: str
    type: str
    version: int | None
    order_id: str | None
    correlation_id: str | None
    causation_id: str | None
    id: str
    # Set on events an archive replay delivered again.
    replay: str | None

    @classmethod
    def from_log_entry(cls, entry: dict[str, Any]) -> LoggedEvent | None:
        try:
            envelope = json.loads(entry["message"])
        except json.JSONDecodeError:
            return None
        cloudevent = envelope.get("detail") or {}
        if not isinstance(cloudevent, dict) or "type" not in cloudevent:
            return None
        data = cloudevent.get("data") if isinstance(cloudevent.get("data"), dict) else {}
        return cls(
            logged_at=int(entry["timestamp"]),
            log_id=entry.get("eventId", ""),
            time=cloudevent.get("time", ""),
            source=cloudevent.get("source", envelope.get("source", "")),
            type=cloudevent["type"],
            version=_version(cloudevent.get("dataschema", "")),
            order_id=data.get("orderId"),
            correlation_id=cloudevent.get("correlationid"),
            causation_id=cloudevent.get("causationid"),
            id=cloudevent.get("id", ""),
            replay=envelope.get("replay-name"),
        )

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class EventFilter:
    order_id: str | None = None
    correlation_id: str | None = None
    event_type: str | None = None
    # Events the context produces or consumes (the catalog's word).
    context: str | None = None

    def search_term(self) -> str | None:
        """What CloudWatch Logs can filter on its side: an exact quoted term."""
        term = self.order_id or self.correlation_id
        return f'"{term}"' if term else None

    def matcher(self) -> Callable[[LoggedEvent], bool]:
        context_types: set[str] | None = None
        if self.context:
            catalog = load_catalog()
            context_types = {
                e.type for e in catalog.events if e.producer == self.context or self.context in e.consumers
            }

        def matches(event: LoggedEvent) -> bool:
            return (
                (self.order_id is None or event.order_id == self.order_id)
                and (self.correlation_id is None or event.correlation_id == self.correlation_id)
                and (self.event_type is None or event.type == self.event_type)
                and (context_types is None or event.type in context_types)
            )

        return matches


def read(target: SagaTarget, start_ms: int | None = None, search_term: str | None = None) -> list[LoggedEvent]:
    """Every parsable entry since `start_ms` (all when None), matching the term, oldest first."""
    logs = target.client("logs")
    kwargs: dict[str, Any] = {"logGroupName": target.outputs["eventLogGroup"]}
    if start_ms is not None:
        kwargs["startTime"] = start_ms
    if search_term:
        kwargs["filterPattern"] = search_term
    found: list[LoggedEvent] = []
    for page in logs.get_paginator("filter_log_events").paginate(**kwargs):
        for entry in page.get("events", []):
            event = LoggedEvent.from_log_entry(entry)
            if event is not None:
                found.append(event)
    return sorted(found, key=lambda e: (e.logged_at, e.time, e.log_id))


def events_of(target: SagaTarget, order_id: str) -> list[LoggedEvent]:
    """One order's events, oldest first; an event the bus carried twice is listed twice."""
    match = EventFilter(order_id=order_id).matcher()
    by_correlation = EventFilter(correlation_id=order_id).matcher()
    return [e for e in read(target, search_term=f'"{order_id}"') if match(e) or by_correlation(e)]


def follow(
    target: SagaTarget,
    event_filter: EventFilter,
    since_ms: int | None = None,
    stop: Callable[[], bool] = lambda: False,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[LoggedEvent]:
    """New entries as they are logged, until `stop()`; from now, or from `since_ms`."""
    matches = event_filter.matcher()
    since = int(time.time() * 1000) if since_ms is None else since_ms
    cursor = since
    shown: dict[str, int] = {}
    while not stop():
        for event in read(target, max(0, cursor - _LOOK_BACK_MS), event_filter.search_term()):
            if event.logged_at < cursor - _LOOK_BACK_MS or event.log_id in shown:
                continue
            shown[event.log_id] = event.logged_at
            if event.logged_at >= since and matches(event):
                yield event
        newest = max(shown.values(), default=cursor)
        cursor = max(cursor, newest)
        # What fell out of the look-back window can no longer come back: forget it.
        shown = {log_id: at for log_id, at in shown.items() if at >= cursor - 2 * _LOOK_BACK_MS}
        sleep(POLL_SECONDS)


def _version(dataschema: str) -> int | None:
    try:
        return int(dataschema.rsplit("/v", 1)[1].removesuffix(".json"))
    except (IndexError, ValueError):
        return None
