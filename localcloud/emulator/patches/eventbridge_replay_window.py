"""EventBridge replays only the archived events of the replay's window, to the rules it names.

AWS replays "only events that occurred between EventStartTime and EventEndTime" and, when the
destination has FilterArns, sends them to those rules of the bus alone (StartReplay's API
reference). moto's replay sends every archived event ever, to every rule of the bus. Here the
event's time is read as moto archives it (epoch seconds, or an ISO 8601 string when a caller gave
one) and compared with the window [EventStartTime, EventEndTime).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from localcloud.emulator.patches.moto_shape import is_patched, mark_patched, require_source

_PATCH = "eventbridge_replay_window"


def _seconds(value: Any) -> float:
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    return float(value)


def apply() -> None:
    from moto.core.utils import unix_time
    from moto.events.models import Replay, ReplayState, events_backends
    from moto.moto_api._internal import mock_random as random

    original = Replay.replay_events
    if is_patched(original):
        return
    require_source(
        original,
        _PATCH,
        "for event in archive.events:",
        "for rule in event_bus.rules.values():",
        '"replay-name": self.name',
    )

    def replay_events(self: Replay, archive: Any) -> None:
        start, end = _seconds(self.event_start_time), _seconds(self.event_end_time)
        only_rules = set(self.destination.get("FilterArns") or ())
        event_bus = events_backends[self.account_id][self.region].describe_event_bus(
            self.destination["Arn"].split("/")[-1]
        )
        rules = [rule for rule in event_bus.rules.values() if not only_rules or rule.arn in only_rules]
        for event in list(archive.events):
            if not start <= _seconds(event.get("time", 0)) < end:
                continue
            for rule in rules:
                rule.send_to_targets(
                    dict(event, **{"id": str(random.uuid4()), "replay-name": self.name}),
                    transform_input=False,
                )
        self.state = ReplayState.COMPLETED
        self.end_time = unix_time()

    Replay.replay_events = mark_patched(replay_events)  # type: ignore[method-assign]
