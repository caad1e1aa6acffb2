"""AWS forwards an event across one bus-to-bus hop only: an event that reached a bus
through a rule targeting that bus is delivered to the second bus's other targets but
never forwarded to a third bus. moto forwards forever."""

from __future__ import annotations

import threading
from typing import Any

from localcloud.emulator.patches.moto_shape import is_patched, mark_patched, require_source

# Set while a rule forwards an event to another bus; moto delivers synchronously
# on the same thread, so the rules of the receiving bus see the flag. The mark
# lives on the thread, not in the event, so it never leaks into the envelope
# delivered to queues, logs or archives.
_hop = threading.local()


class _RuleWithoutBusTargets:
    """A view of a rule that delivers to all its targets but other buses.

    A view, not a copy: moto tracks every model object it creates, and a copy per
    forwarded event would be one more object per event.
    """

    def __init__(self, rule: Any) -> None:
        self._rule = rule
        self.targets = [target for target in rule.targets if not _is_bus_target(target)]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._rule, name)


def _is_bus_target(target: dict[str, Any]) -> bool:
    from moto.utilities.arns import parse_arn

    arn = parse_arn(target["Arn"])
    return arn.service == "events" and arn.resource_type == "event-bus"


def apply() -> None:
    from moto.events.models import Rule

    original = Rule.send_to_targets
    if is_patched(original):
        return
    # The view works because delivery reads the rule only through self.targets and
    # attribute lookups, with no isinstance check.
    require_source(original, "eventbridge_one_hop", "for target in self.targets:", 'arn.resource_type == "event-bus"')

    def send_to_targets(self: Rule, original_event: Any, transform_input: bool = True) -> None:
        if getattr(_hop, "forwarded", False):
            original(_RuleWithoutBusTargets(self), original_event, transform_input)
            return
        _hop.forwarded = True
        try:
            original(self, original_event, transform_input)
        finally:
            _hop.forwarded = False

    Rule.send_to_targets = mark_patched(send_to_targets)  # type: ignore[method-assign]
