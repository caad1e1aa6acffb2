"""AWS always puts "account" in the EventBridge envelope; moto's default template leaves
it out, which breaks consumers that validate the envelope (e.g. Powertools)."""

from __future__ import annotations

from localcloud.emulator.patches.moto_shape import require

_ACCOUNT_PLACEHOLDER = '"account": "<account>", '


def apply() -> None:
    from moto.events.utils import EventTemplateParser

    template = EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE
    if '"account"' not in template:
        EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE = template.replace(
            '"version": "0", ', '"version": "0", ' + _ACCOUNT_PLACEHOLDER, 1
        )
    require(
        '"account"' in EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE,
        "eventbridge_envelope",
        "moto's event template changed",
    )
