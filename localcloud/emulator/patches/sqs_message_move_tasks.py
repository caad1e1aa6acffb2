"""SQS dead-letter redrive: StartMessageMoveTask, ListMessageMoveTasks, CancelMessageMoveTask.

moto answers none of them. Here they are registered on moto's own SQS responses, so they are
parsed and answered through botocore's model in both protocols (JSON, which boto3 speaks to SQS
today, and the query protocol), with AWS's semantics as its API reference states them:

- the source must be a dead-letter queue of another SQS queue (some queue's redrive policy names
  it); only one task may be active per source queue;
- without a DestinationArn each message goes back to the queue it was dead-lettered from, which
  SQS records on the message (the `DeadLetterQueueSourceArn` system attribute, also readable
  through ReceiveMessage); a message that has none cannot go back and fails the task;
- MaxNumberOfMessagesPerSecond is at most 500; without it the rate is the service's choice;
- the task is asynchronous: StartMessageMoveTask answers a TaskHandle at once; ListMessageMoveTasks
  lists the source's tasks, newest first (1 by default, 10 at most), with RUNNING, COMPLETED,
  CANCELLING, CANCELLED or FAILED, the messages to move (counted when the task starts) and moved,
  and the handle only while the task runs; CancelMessageMoveTask stops a running task and answers
  how many it had moved.

A moved message is a new message in its destination (its receive count starts again) with the
same body and message attributes, and leaves the dead-letter queue.

moto moves a message to a dead-letter queue inside ReceiveMessage without noting where it came
from, so that move is wrapped to note it.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from localcloud.emulator.patches.moto_shape import is_patched, mark_patched, require, require_source

_PATCH = "sqs_message_move_tasks"
_SOURCE_ATTRIBUTE = "DeadLetterQueueSourceArn"
MAX_MESSAGES_PER_SECOND = 500
# "The system will optimize the rate" when none is given: as fast as moto takes sends.
_UNTHROTTLED_PER_SECOND = 1000


@dataclass
class MoveTask:
    source_arn: str
    destination_arn: str | None
    max_per_second: int | None
    to_move: int
    handle: str
    started_ms: int = field(default_factory=lambda: int(time.time() * 1000))
    status: str = "RUNNING"
    moved: int = 0
    failure_reason: str | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)

    def describe(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "Status": self.status,
            "SourceArn": self.source_arn,
            "ApproximateNumberOfMessagesMoved": self.moved,
            "ApproximateNumberOfMessagesToMove": self.to_move,
            "StartedTimestamp": self.started_ms,
        }
        if self.status == "RUNNING":
            entry["TaskHandle"] = self.handle
        if self.destination_arn:
            entry["DestinationArn"] = self.destination_arn
        if self.max_per_second is not None:
            entry["MaxNumberOfMessagesPerSecond"] = self.max_per_second
        if self.failure_reason:
            entry["FailureReason"] = self.failure_reason
        return entry


# The queue a thread is receiving from: moto moves messages to its dead-letter queue on that thread.
_receiving = threading.local()
# Every task of this moto server, newest last, by source queue ARN.
_tasks: dict[str, list[MoveTask]] = {}
_lock = threading.Lock()


def apply() -> None:
    from moto.sqs.models import Queue, SQSBackend
    from moto.sqs.responses import SQSResponse

    if is_patched(SQSBackend.receive_message):
        return
    require(
        not hasattr(SQSResponse, "start_message_move_task"),
        _PATCH,
        "moto now implements StartMessageMoveTask: compare it with this patch, then drop one",
    )
    require_source(
        SQSBackend.receive_message,
        _PATCH,
        "queue._messages.remove(message)",
        "queue.dead_letter_queue.add_message(message)",
    )
    require_source(SQSResponse.receive_message, _PATCH, '"MessageId": message.id', 'msg["Attributes"] = attributes')
    _note_dead_letter_sources(SQSBackend, Queue)
    _answer_the_source_attribute(SQSResponse)
    SQSResponse.start_message_move_task = _start_message_move_task  # type: ignore[attr-defined]
    SQSResponse.list_message_move_tasks = _list_message_move_tasks  # type: ignore[attr-defined]
    SQSResponse.cancel_message_move_task = _cancel_message_move_task  # type: ignore[attr-defined]


def _note_dead_letter_sources(backend_class: Any, queue_class: Any) -> None:
    """Marks each message moved by a receive with the queue it left. A receive that long-polls
    sees messages sent after it began, so the mark is made where moto moves the message (the
    dead-letter queue's add_message, called inside the receive), not by comparing before and after."""
    receive, add = backend_class.receive_message, queue_class.add_message

    def receive_message(self: Any, queue_name: str, *args: Any, **kwargs: Any) -> Any:
        _receiving.queue = self.get_queue(queue_name)
        try:
            return receive(self, queue_name, *args, **kwargs)
        finally:
            _receiving.queue = None

    def add_message(self: Any, message: Any) -> None:
        source = getattr(_receiving, "queue", None)
        if source is not None and source.dead_letter_queue is self:
            message.system_attributes[_SOURCE_ATTRIBUTE] = source.queue_arn
        add(self, message)

    backend_class.receive_message = mark_patched(receive_message)
    queue_class.add_message = mark_patched(add_message)


def _answer_the_source_attribute(response_class: Any) -> None:
    original = response_class.receive_message

    def receive_message(self: Any) -> Any:
        result = original(self)
        requested = set(self._get_param("AttributeNames", []) + self._get_param("MessageSystemAttributeNames", []))
        if not requested & {"All", _SOURCE_ATTRIBUTE}:
            return result
        queue = self.sqs_backend.get_queue(self._get_queue_name())
        sources = {
            message.id: message.system_attributes[_SOURCE_ATTRIBUTE]
            for message in queue._messages
            if _SOURCE_ATTRIBUTE in message.system_attributes
        }
        for message in result.result.get("Messages", []):
            if message["MessageId"] in sources:
                message.setdefault("Attributes", {})[_SOURCE_ATTRIBUTE] = sources[message["MessageId"]]
        return result

    response_class.receive_message = mark_patched(receive_message)


def _error(code: str, message: str) -> Exception:
    from moto.sqs.exceptions import SQSException

    return SQSException(code, message)


def _queue_by_arn(backend: Any, arn: str) -> Any:
    for queue in backend.queues.values():
        if queue.queue_arn == arn:
            return queue
    raise _error(
        "ResourceNotFoundException",
        f"The resource that you specified for the SourceArn or DestinationArn parameter doesn't exist: {arn}",
    )


def _start_message_move_task(self: Any) -> Any:
    from moto.core.responses import ActionResult

    backend = self.sqs_backend
    source_arn = self._get_param("SourceArn")
    destination_arn = self._get_param("DestinationArn")
    rate = self._get_param("MaxNumberOfMessagesPerSecond")
    source = _queue_by_arn(backend, source_arn)
    if destination_arn:
        _queue_by_arn(backend, destination_arn)
    if not any(queue.dead_letter_queue is source for queue in backend.queues.values()):
        raise _error("InvalidParameterValue", "Source queue must be configured as a Dead Letter Queue.")
    if rate is not None and not 1 <= int(rate) <= MAX_MESSAGES_PER_SECOND:
        raise _error(
            "InvalidParameterValue",
            f"Value {rate} for parameter MaxNumberOfMessagesPerSecond is invalid. "
            f"Reason: must be between 1 and {MAX_MESSAGES_PER_SECOND}.",
        )
    with _lock:
        if any(task.status in ("RUNNING", "CANCELLING") for task in _tasks.get(source_arn, [])):
            raise _error(
                "UnsupportedOperation",
                "There is already a task running. Only one active task is allowed for a source queue arn "
                "at a given time.",
            )
        handle = base64.b64encode(json.dumps({"taskId": str(uuid.uuid4()), "sourceArn": source_arn}).encode()).decode()
        task = MoveTask(
            source_arn,
            destination_arn,
            None if rate is None else int(rate),
            to_move=sum(1 for message in source._messages if message.visible),
            handle=handle,
        )
        _tasks.setdefault(source_arn, []).append(task)
    threading.Thread(target=_move, args=(backend, source, task), name=f"move-{source.name}", daemon=True).start()
    return ActionResult({"TaskHandle": handle})


def _move(backend: Any, source: Any, task: MoveTask) -> None:
    """Moves what was waiting when the task started, at the task's rate, oldest first."""
    interval = 1.0 / (task.max_per_second or _UNTHROTTLED_PER_SECOND)
    waiting = sorted((m for m in source._messages if m.visible), key=lambda message: message.sent_timestamp or 0)
    try:
        for message in waiting:
            if task.cancel.is_set():
                break
            if not any(held is message for held in source._messages) or not message.visible:
                continue  # deleted, or being read, since the task started
            destination = task.destination_arn or message.system_attributes.get(_SOURCE_ATTRIBUTE)
            if destination is None:
                task.failure_reason = (
                    f"Message {message.id} has no source queue to return to (it was not dead-lettered by an SQS "
                    "queue's redrive policy); give a DestinationArn"
                )
                task.status = "FAILED"
                return
            target = _queue_by_arn(backend, destination)
            backend.send_message(
                target.name,
                message.body,
                message_attributes=message.message_attributes or None,
                group_id=message.group_id,
                deduplication_id=message.deduplication_id if target.fifo_queue else None,
            )
            source._messages.remove(message)
            task.moved += 1
            time.sleep(interval)
        task.status = "CANCELLED" if task.cancel.is_set() else "COMPLETED"
    except Exception as error:
        task.failure_reason = f"{type(error).__name__}: {error}"
        task.status = "FAILED"
    finally:
        task.done.set()


def _list_message_move_tasks(self: Any) -> Any:
    from moto.core.responses import ActionResult

    source_arn = self._get_param("SourceArn")
    _queue_by_arn(self.sqs_backend, source_arn)
    limit = self._get_param("MaxResults")
    limit = 1 if limit is None else int(limit)
    if not 1 <= limit <= 10:
        raise _error(
            "InvalidParameterValue",
            f"Value {limit} for parameter MaxResults is invalid. Reason: must be between 1 and 10.",
        )
    with _lock:
        newest_first = list(reversed(_tasks.get(source_arn, [])))[:limit]
    return ActionResult({"Results": [task.describe() for task in newest_first]})


def _cancel_message_move_task(self: Any) -> Any:
    from moto.core.responses import ActionResult

    handle = self._get_param("TaskHandle")
    try:
        source_arn = json.loads(base64.b64decode(handle))["sourceArn"]
    except (ValueError, KeyError, TypeError) as malformed:
        raise _error("ResourceNotFoundException", "Task does not exist.") from malformed
    with _lock:
        task = next((t for t in _tasks.get(source_arn, []) if t.handle == handle), None)
        if task is None or task.status != "RUNNING":
            raise _error("ResourceNotFoundException", "Task does not exist.")
        task.status = "CANCELLING"
        task.cancel.set()
    task.done.wait(timeout=5)
    return ActionResult({"ApproximateNumberOfMessagesMoved": task.moved})
