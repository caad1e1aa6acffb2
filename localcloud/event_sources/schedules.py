"""EventBridge Scheduler's part: each enabled schedule deployed in the emulator invokes its target on time.

moto keeps schedules (CreateSchedule, GetSchedule, ListSchedules) but never runs them. The timer reads
them through Scheduler's own API and, when one is due, calls its Lambda target as Scheduler does:
Lambda's Invoke API with InvocationType Event, the target's Input as the payload, Scheduler's context
attributes (<aws.scheduler.scheduled-time> and the rest) filled in. It knows rate() and at()
expressions; a cron() schedule is reported and left alone. A rate schedule is due every period after
it was created; times missed while the machine stalled are not made up, the latest is run once (a
schedule that fell behind sweeps once, not five times).
"""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from localcloud.emulator.clients import client

_RATE = re.compile(r"^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$")
_AT = re.compile(r"^at\((\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\)$")
_UNITS = {"minute": 60, "hour": 3600, "day": 86400}
# How often the deployed schedules are read again (a schedule created or disabled later is seen).
_REFRESH_SECONDS = 10.0


@dataclass(frozen=True)
class DeployedSchedule:
    arn: str
    expression: str
    enabled: bool
    target_arn: str
    input: str | None
    created: datetime
    start: datetime | None = None
    end: datetime | None = None

    @classmethod
    def from_api(cls, described: dict[str, Any]) -> DeployedSchedule:
        target = described["Target"]
        return cls(
            arn=described["Arn"],
            expression=described["ScheduleExpression"],
            enabled=described.get("State", "ENABLED") == "ENABLED",
            target_arn=target["Arn"],
            input=target.get("Input"),
            created=_utc(described["CreationDate"]),
            start=_utc(described["StartDate"]) if described.get("StartDate") else None,
            end=_utc(described["EndDate"]) if described.get("EndDate") else None,
        )

    def due(self, after: datetime, until: datetime) -> datetime | None:
        """The latest time in (after, until] this schedule invokes its target, if any."""
        if not self.enabled:
            return None
        if rate := _RATE.match(self.expression):
            period = timedelta(seconds=int(rate.group(1)) * _UNITS[rate.group(2).removesuffix("s")])
            origin = max(self.created, self.start) if self.start else self.created
            periods = (until - origin) // period
            moment = origin + periods * period
            due = moment if periods >= 1 and moment > after else None
        elif at := _AT.match(self.expression):
            moment = datetime.fromisoformat(at.group(1)).replace(tzinfo=UTC)
            due = moment if after < moment <= until else None
        else:
            raise UnsupportedExpression(self.expression)
        return None if due is None or (self.end and due > self.end) else due

    def payload(self, scheduled: datetime, execution_id: str, attempt: int = 1) -> str:
        """What Scheduler sends: the Input with its context attributes replaced ({} without one)."""
        text = self.input if self.input is not None else "{}"
        for keyword, value in (
            ("<aws.scheduler.schedule-arn>", self.arn),
            ("<aws.scheduler.scheduled-time>", scheduled.strftime("%Y-%m-%dT%H:%M:%SZ")),
            ("<aws.scheduler.execution-id>", execution_id),
            ("<aws.scheduler.attempt-number>", str(attempt)),
        ):
            text = text.replace(keyword, value)
        return text


class UnsupportedExpression(ValueError):
    pass


def deployed_schedules(scheduler: Any) -> list[DeployedSchedule]:
    """Every schedule of every group, as Scheduler describes it."""
    found = []
    for group in scheduler.get_paginator("list_schedule_groups").paginate():
        for listed_group in group["ScheduleGroups"]:
            pages = scheduler.get_paginator("list_schedules").paginate(GroupName=listed_group["Name"])
            for page in pages:
                for listed in page["Schedules"]:
                    described = scheduler.get_schedule(Name=listed["Name"], GroupName=listed["GroupName"])
                    found.append(DeployedSchedule.from_api(described))
    return found


def _function_name(target_arn: str) -> str | None:
    """The Lambda function a templated target names (arn:aws:lambda:…:function:<name>[:qualifier])."""
    parts = target_arn.split(":")
    if len(parts) >= 7 and parts[2] == "lambda" and parts[5] == "function":
        return parts[6]
    return None


class ScheduleTimer(threading.Thread):
    """Ticks once a second; `tick(now)` does one round (tests call it with their own clock)."""

    def __init__(
        self,
        endpoint_url: str,
        lambda_endpoint_url: str,
        *,
        interval_seconds: float = 1.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        report: Callable[[str], None] = print,
    ) -> None:
        super().__init__(name="scheduler-timer", daemon=True)
        self._scheduler = client("scheduler", endpoint_url)
        self._lambda = client("lambda", lambda_endpoint_url)
        self._interval = interval_seconds
        self._clock = clock
        self._report = report
        self._stopping = threading.Event()
        self._last = clock()
        self._schedules: list[DeployedSchedule] = []
        self._read_at: datetime | None = None
        self._unsupported: set[str] = set()

    def tick(self, now: datetime) -> list[tuple[str, str]]:
        """Invoke every schedule due since the last tick; (function name, payload) of each invocation."""
        if self._read_at is None or (now - self._read_at).total_seconds() >= _REFRESH_SECONDS:
            self._schedules, self._read_at = deployed_schedules(self._scheduler), now
        invoked = []
        for schedule in self._schedules:
            try:
                due = schedule.due(self._last, now)
            except UnsupportedExpression:
                if schedule.arn not in self._unsupported:
                    self._unsupported.add(schedule.arn)
                    self._report(f"schedule {schedule.arn}: the embedded cloud does not run {schedule.expression}")
                continue
            function = _function_name(schedule.target_arn)
            if due is None or function is None:
                continue
            payload = schedule.payload(due, secrets.token_hex(8))
            try:
                self._lambda.invoke(FunctionName=function, InvocationType="Event", Payload=payload.encode())
            except Exception as error:  # Scheduler would retry per its policy; report, go on
                self._report(f"schedule {schedule.arn}: invoking {function} failed: {error}")
                continue
            invoked.append((function, payload))
        self._last = now
        return invoked

    def run(self) -> None:
        while not self._stopping.wait(self._interval):
            try:
                self.tick(self._clock())
            except Exception as error:  # an emulator hiccup must not end the timer
                self._report(f"scheduler timer: {type(error).__name__}: {error}")

    def stop(self) -> None:
        self._stopping.set()

    def __enter__(self) -> ScheduleTimer:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
