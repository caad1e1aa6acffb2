"""Every context's dead-letter queue read for an operator: what is in it, since when, and why.

Why a message failed is whatever AWS attached to it:
- EventBridge, when it could not deliver to a rule's target (the forwarding or delivery rule),
  sends the event with message attributes RULE_ARN, TARGET_ARN, ERROR_CODE, ERROR_MESSAGE,
  EXHAUSTED_RETRY_CONDITION and RETRY_ATTEMPTS (EventBridge's "Using dead-letter queues");
- Lambda's asynchronous invocation DLQ attaches RequestID, ErrorCode and ErrorMessage;
- SQS's redrive policy attaches nothing but the queue it came from (DeadLetterQueueSourceArn) and
  keeps its receive count: the worker failed it maxReceiveCount times. What the worker said each
  time is in the worker's log group, under the message's id (the consumer logs it), so that is
  where the last word is looked up.

Messages are read by receiving them (invisible for a few seconds, so a queue of more than ten can
be paged through) and then made visible again at once: reading a DLQ takes nothing out of it.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from typing import Any

from saga_client import SagaTarget

_HOLD_SECONDS = 10
_EVENTBRIDGE = ("ERROR_CODE", "ERROR_MESSAGE", "RULE_ARN", "TARGET_ARN", "EXHAUSTED_RETRY_CONDITION", "RETRY_ATTEMPTS")
_LAMBDA = ("RequestID", "ErrorCode", "ErrorMessage")
# What the consumer (lambdas/saga_events/consumer.py) logs when it gives a message back.
_FAILURE_MESSAGES = ("failed to handle event", "rejected invalid event", "retry later")


@dataclass(frozen=True)
class DeadLetter:
    context: str
    message_id: str
    sent_at: int | None  # epoch ms
    receive_count: int
    event_type: str | None
    event_id: str | None
    order_id: str | None
    # Who put it here: "sqs" (the queue's redrive policy), "eventbridge", "lambda" or None.
    failed_in: str | None
    reason: str
    body: str

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class DeadLetterQueue:
    context: str
    url: str
    arn: str
    depth: int
    # The queue it is the dead-letter queue of, and how many receives that queue allows.
    source_url: str | None
    max_receive_count: int | None
    messages: list[DeadLetter]

    @property
    def oldest_sent_at(self) -> int | None:
        return min((m.sent_at for m in self.messages if m.sent_at is not None), default=None)

    def oldest_age_seconds(self, now: float | None = None) -> float | None:
        oldest = self.oldest_sent_at
        return None if oldest is None else (now or time.time()) - oldest / 1000

    def as_json(self) -> dict[str, Any]:
        return {
            "context": self.context,
            "url": self.url,
            "depth": self.depth,
            "oldestAgeSeconds": self.oldest_age_seconds(),
            "sourceQueueUrl": self.source_url,
            "maxReceiveCount": self.max_receive_count,
            "messages": [m.as_json() for m in self.messages],
        }


def depth(target: SagaTarget, queue_url: str) -> int:
    attributes = target.client("sqs").get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def queue_arn(target: SagaTarget, queue_url: str) -> str:
    return target.client("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]


def read_queue(target: SagaTarget, context: str, with_reasons: bool = True) -> DeadLetterQueue:
    outputs = target.context(context)
    url = outputs["deadLetterQueueUrl"]
    source_url, max_receives = outputs.get("queueUrl"), None
    if source_url:
        attributes = target.client("sqs").get_queue_attributes(QueueUrl=source_url, AttributeNames=["RedrivePolicy"])
        policy = attributes["Attributes"].get("RedrivePolicy")
        max_receives = int(json.loads(policy)["maxReceiveCount"]) if policy else None
    raw = peek(target, url)
    log_group = (outputs.get("logGroups") or {}).get("worker") if with_reasons else None
    messages = [_dead_letter(target, context, m, max_receives, log_group) for m in raw]
    return DeadLetterQueue(
        context,
        url,
        queue_arn(target, url),
        depth(target, url),
        source_url,
        max_receives,
        sorted(messages, key=lambda m: m.sent_at or 0),
    )


def peek(target: SagaTarget, queue_url: str) -> list[dict[str, Any]]:
    """Every message waiting in the queue, left in it."""
    sqs = target.client("sqs")
    expected = depth(target, queue_url)
    found: dict[str, dict[str, Any]] = {}
    empty_receives = 0
    while len(found) < expected and empty_receives < 3:
        messages = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=10,
            VisibilityTimeout=_HOLD_SECONDS,
            WaitTimeSeconds=0,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        empty_receives = 0 if messages else empty_receives + 1
        for message in messages:
            found[message["MessageId"]] = message
    held = list(found.values())
    for start in range(0, len(held), 10):
        sqs.change_message_visibility_batch(
            QueueUrl=queue_url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
                for i, m in enumerate(held[start : start + 10])
            ],
        )
    return held


def _dead_letter(
    target: SagaTarget, context: str, message: dict[str, Any], max_receives: int | None, log_group: str | None
) -> DeadLetter:
    attributes = message.get("Attributes", {})
    message_attributes = {k: v.get("StringValue") for k, v in message.get("MessageAttributes", {}).items()}
    event_type, event_id, order_id = _event_of(message["Body"])
    receives = int(attributes.get("ApproximateReceiveCount", 0))
    if any(name in message_attributes for name in _EVENTBRIDGE):
        failed_in = "eventbridge"
        reason = (
            f"EventBridge could not deliver to {_short(message_attributes.get('TARGET_ARN'))}: "
            f"{message_attributes.get('ERROR_CODE')} {message_attributes.get('ERROR_MESSAGE') or ''}".rstrip()
            + f" ({message_attributes.get('RETRY_ATTEMPTS', '?')} retries, "
            f"{message_attributes.get('EXHAUSTED_RETRY_CONDITION') or 'not retried'})"
        )
    elif any(name in message_attributes for name in _LAMBDA):
        failed_in = "lambda"
        reason = (
            f"Lambda: {message_attributes.get('ErrorCode')} {message_attributes.get('ErrorMessage') or ''}".rstrip()
        )
    elif "DeadLetterQueueSourceArn" in attributes:
        failed_in = "sqs"
        allowed = f"{max_receives} receives" if max_receives else "every receive"
        reason = (
            f"the {context} worker did not handle it in {allowed} from {_short(attributes['DeadLetterQueueSourceArn'])}"
        )
        last_word = _last_logged_failure(target, log_group, message["MessageId"]) if log_group else None
        if last_word:
            reason += f"; last: {last_word}"
    else:
        failed_in = None
        reason = "nothing attached: it was sent to the dead-letter queue directly"
    if event_type is None:
        reason += "; the body is not a saga event"
    return DeadLetter(
        context=context,
        message_id=message["MessageId"],
        sent_at=int(attributes["SentTimestamp"]) if "SentTimestamp" in attributes else None,
        receive_count=receives,
        event_type=event_type,
        event_id=event_id,
        order_id=order_id,
        failed_in=failed_in,
        reason=reason,
        body=message["Body"],
    )


def _event_of(body: str) -> tuple[str | None, str | None, str | None]:
    """The CloudEvent inside an EventBridge envelope: its type, id and order id, if it is one."""
    try:
        envelope = json.loads(body)
    except json.JSONDecodeError:
        return None, None, None
    cloudevent = envelope.get("detail") if isinstance(envelope, dict) else None
    if not isinstance(cloudevent, dict):
        return None, None, None
    data = cloudevent.get("data") if isinstance(cloudevent.get("data"), dict) else {}
    return cloudevent.get("type"), cloudevent.get("id"), data.get("orderId") or cloudevent.get("correlationid")


def _last_logged_failure(target: SagaTarget, log_group: str, message_id: str) -> str | None:
    """The worker's last logged word on this message: its error and reason (JSON log lines)."""
    logs = target.client("logs")
    try:
        entries = logs.filter_log_events(logGroupName=log_group, filterPattern=f'"{message_id}"', limit=50)["events"]
    except logs.exceptions.ResourceNotFoundException:
        return None
    for entry in sorted(entries, key=lambda e: e["timestamp"], reverse=True):
        try:
            line = json.loads(entry["message"])
        except json.JSONDecodeError:
            continue
        if line.get("message") in _FAILURE_MESSAGES:
            return " ".join(
                str(part)
                for part in (line.get("message"), line.get("reason") or _first_line(line.get("exception")))
                if part
            )
    return None


def _first_line(text: Any) -> str | None:
    return str(text).strip().splitlines()[-1] if text else None


def _short(arn: str | None) -> str:
    """A queue or target ARN by its name, as people call it."""
    return "-" if not arn else arn.rsplit(":", 1)[-1].rsplit("/", 1)[-1]


def mentioning(target: SagaTarget, contexts: list[str], order_id: str) -> list[DeadLetter]:
    """Every dead-lettered message, in any context, whose body names the order."""
    return [
        message
        for context in contexts
        for message in read_queue(target, context, with_reasons=True).messages
        if order_id in message.body
    ]
