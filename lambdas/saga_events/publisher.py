"""Publishing integration events to the global bus."""

import json
from collections.abc import Sequence
from typing import Any

from saga_events.errors import PublishFailed
from saga_events.validation import validate_event

# PutEvents takes at most 10 entries per call.
_MAX_ENTRIES_PER_CALL = 10


class EventPublisher:
    """Validates every event against its contract, then puts it on the bus.

    Validation runs for the whole batch before the first network call, so an invalid
    event raises InvalidEvent and nothing of the batch is published.
    """

    def __init__(self, events_client: Any, bus_name: str) -> None:
        self._events = events_client
        self._bus_name = bus_name

    def publish(self, events: Sequence[dict[str, Any]]) -> None:
        for event in events:
            validate_event(event)
        for start in range(0, len(events), _MAX_ENTRIES_PER_CALL):
            self._put(events[start : start + _MAX_ENTRIES_PER_CALL])

    def _put(self, events: Sequence[dict[str, Any]]) -> None:
        entries = [
            {
                "EventBusName": self._bus_name,
                "Source": event["source"],
                "DetailType": event["type"],
                "Detail": json.dumps(event, separators=(",", ":")),
                "Resources": [],
            }
            for event in events
        ]
        response = self._events.put_events(Entries=entries)
        # PutEvents answers 200 even when some entries were refused; they must not be lost.
        if response.get("FailedEntryCount", 0):
            failures = [
                f"{event['type']} {event['id']}: {result['ErrorCode']} {result.get('ErrorMessage')}"
                for event, result in zip(events, response["Entries"], strict=True)
                if "ErrorCode" in result
            ]
            raise PublishFailed(f"EventBridge refused {len(failures)} event(s): {'; '.join(failures)}")
