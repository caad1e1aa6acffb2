"""`dlq redrive <context>`: dead letters back to the context's queue with SQS's own message-move task.

The destination is named (the context's queue) rather than left to SQS: what EventBridge could not
deliver (the forwarding or delivery rule's dead letters) was never in an SQS queue, so SQS could
not send it "back", and the context's queue is where both kinds were headed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ops.dead_letters import queue_arn
from saga_client import SagaTarget

_FINISHED = ("COMPLETED", "CANCELLED", "FAILED")


@dataclass(frozen=True)
class MoveTask:
    context: str
    task_handle: str | None
    status: str
    to_move: int | None
    moved: int
    failure_reason: str | None

    @classmethod
    def from_listing(cls, context: str, entry: dict[str, Any], handle: str | None) -> MoveTask:
        return cls(
            context,
            entry.get("TaskHandle", handle),
            entry["Status"],
            entry.get("ApproximateNumberOfMessagesToMove"),
            int(entry.get("ApproximateNumberOfMessagesMoved", 0)),
            entry.get("FailureReason"),
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "context": self.context,
            "taskHandle": self.task_handle,
            "status": self.status,
            "toMove": self.to_move,
            "moved": self.moved,
            "failureReason": self.failure_reason,
        }


def start(target: SagaTarget, context: str, per_second: int | None = None) -> tuple[str, str]:
    """Starts moving the context's dead letters to its queue: the task handle and the DLQ's ARN."""
    outputs = target.context(context)
    if not outputs.get("queueUrl"):
        raise ValueError(f"{context} has no queue to redrive to: it consumes no events")
    source = queue_arn(target, outputs["deadLetterQueueUrl"])
    request: dict[str, Any] = {"SourceArn": source, "DestinationArn": queue_arn(target, outputs["queueUrl"])}
    if per_second is not None:
        request["MaxNumberOfMessagesPerSecond"] = per_second
    return target.client("sqs").start_message_move_task(**request)["TaskHandle"], source


def latest(target: SagaTarget, context: str, source_arn: str, handle: str | None = None) -> MoveTask | None:
    results = target.client("sqs").list_message_move_tasks(SourceArn=source_arn, MaxResults=1)["Results"]
    return MoveTask.from_listing(context, results[0], handle) if results else None


def redrive(
    target: SagaTarget,
    context: str,
    per_second: int | None = None,
    on_progress: Callable[[MoveTask], None] = lambda task: None,
    timeout: float = 900,
) -> MoveTask:
    """Starts the move and waits for SQS to finish it, reporting progress as it goes."""
    handle, source = start(target, context, per_second)
    deadline = time.monotonic() + timeout
    while True:
        task = latest(target, context, source, handle)
        if task is None:
            raise RuntimeError(f"SQS lists no move task for {source} after starting one")
        on_progress(task)
        if task.status in _FINISHED:
            return task
        if time.monotonic() > deadline:
            return task
        time.sleep(0.5)
