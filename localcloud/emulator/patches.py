"""Patches that make moto's EventBridge and DynamoDB behave like AWS where the saga relies on it.

Applied only inside the moto server subprocess (see moto_server.py), never in
the caller's process.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

_ACCOUNT_PLACEHOLDER = '"account": "<account>", '

# Set while a rule forwards an event to another bus; moto delivers synchronously
# on the same thread, so the rules of the receiving bus see the flag.
_hop = threading.local()


# One DynamoDB request at a time (see _serialise_dynamodb_requests).
_dynamodb_alone = threading.RLock()


def apply() -> None:
    _add_account_to_envelope()
    _limit_bus_to_bus_forwarding_to_one_hop()
    _serialise_dynamodb_requests()


def _add_account_to_envelope() -> None:
    # AWS always puts "account" in the envelope; moto's default template leaves it
    # out, which breaks consumers that validate the envelope (e.g. Powertools).
    from moto.events.utils import EventTemplateParser

    template = EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE
    if '"account"' not in template:
        EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE = template.replace(
            '"version": "0", ', '"version": "0", ' + _ACCOUNT_PLACEHOLDER, 1
        )
    if '"account"' not in EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE:
        raise RuntimeError("moto's event template changed; update localcloud/emulator/patches.py")


def _is_bus_target(target: dict[str, Any]) -> bool:
    from moto.utilities.arns import parse_arn

    arn = parse_arn(target["Arn"])
    return arn.service == "events" and arn.resource_type == "event-bus"


def _limit_bus_to_bus_forwarding_to_one_hop() -> None:
    # AWS forwards an event across one bus-to-bus hop only: an event that reached
    # a bus through a rule targeting that bus is delivered to the second bus's
    # other targets but never forwarded to a third bus. moto forwards forever.
    from moto.events.models import Rule

    original = Rule.send_to_targets
    if getattr(original, "_localcloud_patched", False):
        return

    def send_to_targets(self: Rule, original_event: Any, transform_input: bool = True) -> None:
        if getattr(_hop, "forwarded", False):
            # The mark lives on the thread, not in the event, so it never leaks
            # into the envelope delivered to queues, logs or archives.
            rule = copy.copy(self)
            rule.targets = [t for t in self.targets if not _is_bus_target(t)]
            original(rule, original_event, transform_input)
            return
        _hop.forwarded = True
        try:
            original(self, original_event, transform_input)
        finally:
            _hop.forwarded = False

    send_to_targets._localcloud_patched = True  # type: ignore[attr-defined]
    Rule.send_to_targets = send_to_targets  # type: ignore[method-assign]


def _serialise_dynamodb_requests() -> None:
    # AWS applies each write atomically and isolates transactions from other writes. moto serves
    # each request on its own thread and guards nothing, and a cancelled transaction puts back a
    # copy of the whole table taken before it began: a write that landed meanwhile (another
    # function instance placing an order) is lost. One lock around every DynamoDB and Streams
    # request keeps them apart; moto holds the GIL for all of them anyway, so nothing is slower.
    from moto.dynamodb.responses import DynamoHandler
    from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

    for handler in (DynamoHandler, DynamoDBStreamsHandler):
        original = handler.call_action
        if getattr(original, "_localcloud_patched", False):
            continue

        def call_action(self: Any, _original: Any = original) -> Any:
            with _dynamodb_alone:
                return _original(self)

        call_action._localcloud_patched = True  # type: ignore[attr-defined]
        handler.call_action = call_action  # type: ignore[method-assign]
