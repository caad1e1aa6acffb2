"""What the service tests hand a context's service instead of an environment: a real publisher on
in-process moto's global bus, a clock that says what the test says, metrics that are only counted."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from saga_events import EventPublisher

from tests.integration.conftest import GLOBAL_BUS

LOGGER = Logger(service="service-tests")


@dataclass
class CountedMetrics:
    counts: dict[str, float] = field(default_factory=dict)

    def add_metric(self, name: str, unit: Any, value: float) -> None:
        self.counts[name] = self.counts.get(name, 0) + value


@dataclass
class StoppedClock:
    """Time moves only when the test says so."""

    now: datetime = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass(frozen=True)
class Cause:
    id: str
    correlation_id: str


def publisher() -> EventPublisher:
    return EventPublisher(boto3.client("events"), GLOBAL_BUS)
