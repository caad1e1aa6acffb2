"""Building new integration events and reading received ones."""

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

# The SDK stays (rather than writing the structured-mode dict by hand): it checks the attributes
# against the spec, and costs ~1.5 ms of a cold start once boto3 has loaded dateutil, which it shares
# (benchmarks/cold_start.py --why <handler>), and ~25 µs an event (benchmarks/event_path.py).
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent

from contracts import dataschema_uri

# Event ids derived from the causing event are stable across retries, so a handler
# that runs twice publishes the same id twice and consumers drop the duplicate.
_EVENT_ID_NAMESPACE = uuid.UUID("6f1d3c4e-2b1a-4f7e-9a57-5b0c2d9e8f10")
_FORMAT = JSONFormat()


@dataclass(frozen=True)
class IntegrationEvent:
    """A received, validated CloudEvent: what handlers and domain code see."""

    id: str
    type: str
    source: str
    time: str
    dataschema: str
    correlation_id: str
    causation_id: str
    data: dict[str, Any]

    @property
    def version(self) -> int:
        return int(self.dataschema.rsplit("/v", 1)[1].removesuffix(".json"))

    @classmethod
    def from_cloudevent(cls, event: dict[str, Any]) -> "IntegrationEvent":
        return cls(
            id=event["id"],
            type=event["type"],
            source=event["source"],
            time=event["time"],
            dataschema=event["dataschema"],
            correlation_id=event["correlationid"],
            causation_id=event["causationid"],
            data=event["data"],
        )

    def as_cloudevent(self) -> dict[str, Any]:
        return {
            "specversion": "1.0",
            "id": self.id,
            "type": self.type,
            "source": self.source,
            "time": self.time,
            "datacontenttype": "application/json",
            "dataschema": self.dataschema,
            "correlationid": self.correlation_id,
            "causationid": self.causation_id,
            "data": self.data,
        }


def cancellation_id(order_id: str) -> str:
    """The id of the order's order.cancelled, whoever cancels it (the customer, a participant's
    failure, the sweeper, the state machine). An order is cancelled once at most (a conditional
    write from an open status), so the id derives from the order alone and is known before the
    event exists: a compensation the state machine runs and the one a worker runs on order.cancelled
    derive their outcome's id from the same cause, and announce one event, not two."""
    return derived_event_id(f"{order_id}/cancellation", "order.cancelled", 1)


def derived_event_id(cause_id: str, event_type: str, version: int) -> str:
    return str(uuid.uuid5(_EVENT_ID_NAMESPACE, f"{cause_id}/{event_type}/v{version}"))


def new_event(
    event_type: str,
    data: dict[str, Any],
    *,
    source: str,
    correlation_id: str,
    causation_id: str,
    version: int = 1,
    event_id: str | None = None,
    time: datetime | None = None,
) -> dict[str, Any]:
    """A CloudEvent (structured JSON mode, as a dict) built and checked by the cloudevents SDK.

    The id defaults to one derived from `causation_id` and the type, so the same cause
    always yields the same event.
    """
    attributes: dict[str, Any] = {
        "id": event_id or derived_event_id(causation_id, event_type, version),
        "type": event_type,
        "source": source,
        "time": time or datetime.now(UTC),
        "datacontenttype": "application/json",
        "dataschema": dataschema_uri(event_type, version),
        "correlationid": correlation_id,
        "causationid": causation_id,
    }
    return json.loads(_FORMAT.write(CloudEvent(attributes, data)))
