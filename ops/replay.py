"""`replay --from --to [--context]`: the global bus's archive, replayed for a window of time.

EventBridge's StartReplay sends the archived events of [from, to) back onto the global bus, to
every rule on it or, with `--context`, to that context's forwarding rule alone (FilterArns). The
consumers recognise a repeat by its CloudEvent id for as long as their idempotency records last;
an event older than that would be handled again, so such a window is warned about first.
"""

from __future__ import annotations

import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from saga_client import SagaTarget

# The consumers' code is a Lambda bundle rooted at lambdas/ (pytest puts it on the path; `python -m
# ops` does not): the idempotency window is read from the consumer itself, never restated here.
_LAMBDAS_DIR = str(Path(__file__).resolve().parents[1] / "lambdas")
if _LAMBDAS_DIR not in sys.path:
    sys.path.insert(0, _LAMBDAS_DIR)

from saga_events.consumer import REMEMBER_EVENTS_FOR  # noqa: E402

_FINISHED = ("COMPLETED", "CANCELLED", "FAILED")


@dataclass(frozen=True)
class Replay:
    name: str
    state: str
    start: datetime
    end: datetime
    context: str | None
    reason: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "state": self.state,
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "context": self.context,
            "reason": self.reason,
        }


def idempotency_memory() -> timedelta:
    """How long every consumer remembers an event it handled (Powertools' idempotency records)."""
    return timedelta(seconds=REMEMBER_EVENTS_FOR)


def older_than_memory(start: datetime, now: datetime | None = None) -> bool:
    """Whether some of the window's events may be forgotten by the consumers, and handled again."""
    return start < (now or datetime.now(UTC)) - idempotency_memory()


def start_replay(target: SagaTarget, start: datetime, end: datetime, context: str | None = None) -> str:
    if end <= start:
        raise ValueError("--to must be after --from")
    destination: dict[str, Any] = {"Arn": target.outputs["globalBusArn"]}
    if context is not None:
        rule = target.context(context).get("forwardingRuleArn")
        if not rule:
            raise ValueError(f"{context} consumes no events: it has no forwarding rule to replay to")
        destination["FilterArns"] = [rule]
    name = f"ops-{start:%Y%m%dT%H%M%S}-{context or 'all'}-{uuid.uuid4().hex[:8]}"[:64]
    target.client("events").start_replay(
        ReplayName=name,
        Description=f"ops replay {start.isoformat()} .. {end.isoformat()} to {context or 'every rule'}",
        EventSourceArn=target.outputs["eventArchiveArn"],
        EventStartTime=start,
        EventEndTime=end,
        Destination=destination,
    )
    return name


def replay(
    target: SagaTarget,
    start: datetime,
    end: datetime,
    context: str | None = None,
    on_progress: Callable[[str], None] = lambda state: None,
    timeout: float = 3600,
) -> Replay:
    """Starts the replay and waits for EventBridge to finish it."""
    name = start_replay(target, start, end, context)
    events = target.client("events")
    deadline = time.monotonic() + timeout
    while True:
        described = events.describe_replay(ReplayName=name)
        on_progress(described["State"])
        if described["State"] in _FINISHED or time.monotonic() > deadline:
            return Replay(name, described["State"], start, end, context, described.get("StateReason"))
        time.sleep(1)
