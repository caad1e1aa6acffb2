"""Unwrapping what a consumer's queue delivers: SQS record → EventBridge event → CloudEvent."""

import json
from typing import Any

from saga_events.errors import InvalidEvent
from saga_events.events import IntegrationEvent
from saga_events.validation import validate_event


def event_from_sqs_record(body: str) -> IntegrationEvent:
    """The validated CloudEvent inside an SQS message body written by an EventBridge rule.

    Raises InvalidEvent with the reason for anything else, so the message is retried
    and then dead-lettered rather than acted upon.
    """
    envelope = _json_object(body, "SQS message body")
    detail = envelope.get("detail")
    if not isinstance(detail, dict):
        raise InvalidEvent("SQS message body is not an EventBridge event: no object 'detail'")
    cloudevent: dict[str, Any] = detail
    validate_event(cloudevent)
    if envelope.get("detail-type") != cloudevent["type"]:
        raise InvalidEvent(
            f"EventBridge detail-type {envelope.get('detail-type')!r} is not the CloudEvent type {cloudevent['type']!r}"
        )
    return IntegrationEvent.from_cloudevent(cloudevent)


def _json_object(text: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidEvent(f"{what} is not JSON: {error}") from error
    if not isinstance(value, dict):
        raise InvalidEvent(f"{what} is not a JSON object")
    return value
