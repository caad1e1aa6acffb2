"""What every context's service is given, in place of reaching for the environment itself.

A service (`lambdas/<context>/service.py`) holds a context's business operations. It is built
once per sandbox by an adapter (the SQS worker for choreography, the Step Functions task handler
for orchestration) from clients that adapter made, and it never reads `os.environ` nor builds a
client: tests hand it fakes or an in-process moto without re-importing anything.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class Cause(Protocol):
    """What an outcome is caused by: a received event, or the saga's first event when a state
    machine asks. Its id becomes the outcome's causation id (and seeds the outcome's own id)."""

    @property
    def id(self) -> str: ...

    @property
    def correlation_id(self) -> str: ...


class Publisher(Protocol):
    """Validates and puts events on the global bus (saga_events.EventPublisher)."""

    def publish(self, events: Any) -> None: ...


class MetricsRecorder(Protocol):
    """Business counts (Powertools' Metrics)."""

    def add_metric(self, name: str, unit: Any, value: float) -> None: ...
