"""An SQS event source mapping: poll, filter, invoke, delete what succeeded.

Up to the mapping's ScalingConfig.MaximumConcurrency of batches are in flight
at once (its `Slots`): while messages wait and a slot is free, the
poller takes another batch and hands it to the function, which runs it on a free
instance or starts one, as Lambda scales out a queue's consumers. Batch size,
batching window and concurrency are read at every round, so Lambda's
UpdateEventSourceMapping changes them while the poller runs.

The one deliberate difference from AWS: messages of a failed invocation are
made visible again after `retry_delay_seconds` (ChangeMessageVisibility)
instead of after the queue's full visibility timeout, so local retries and
redrives to the DLQ take seconds rather than minutes. The receive count and
the RedrivePolicy still decide when a message moves to the dead-letter queue.
One AWS promise survives the shortcut: a message is never retried before the
invocation that failed it would have timed out. On AWS the visibility timeout
(at least six function timeouts) guarantees that, and code relies on it: an
instance killed mid-batch leaves Powertools' idempotency records "in progress"
until the invocation's deadline, and a retry before then is refused.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import ClientError

from localcloud.emulator.clients import client
from localcloud.event_sources.filters import RecordFilter, sqs_filter_view
from localcloud.event_sources.switch import MappingSwitch
from localcloud.lambda_runtime.batch_response import InvalidBatchResponseError, failed_identifiers
from localcloud.lambda_runtime.invoker import InvokeFunction
from localcloud.lambda_runtime.records import sqs_record
from localcloud.provisioning.deployment import EventSourceMappingSpec

_LONG_POLL_SECONDS = 1
_MAX_PER_RECEIVE = 10
# Error types of an invocation that never returned: the runtime died or the timeout cut it.
_UNFINISHED = frozenset({"Runtime.ExitError", "Sandbox.Timedout"})


class Slots:
    """How many batches may be in flight at once; the limit can change while batches run."""

    def __init__(self, limit: int) -> None:
        self._limit = max(1, limit)
        self._taken = 0
        self._changed = threading.Condition()

    @property
    def limit(self) -> int:
        return self._limit

    def set_limit(self, limit: int) -> None:
        with self._changed:
            # A lower limit takes effect as batches in flight finish; none is cut short.
            self._limit = max(1, limit)
            self._changed.notify_all()

    def acquire(self, timeout: float) -> bool:
        with self._changed:
            if not self._changed.wait_for(lambda: self._taken < self._limit, timeout=timeout):
                return False
            self._taken += 1
            return True

    def release(self) -> None:
        with self._changed:
            self._taken -= 1
            self._changed.notify_all()


class SqsPoller(threading.Thread):
    def __init__(
        self,
        mapping: EventSourceMappingSpec,
        invoke: InvokeFunction,
        endpoint_url: str,
        stop: threading.Event,
        retry_delay_seconds: int,
        switch: MappingSwitch,
        *,
        slots: Slots | None = None,
        concurrency_ceiling: int = 1,
        function_timeout_seconds: int = 0,
        report: Callable[[str], None] = print,
    ) -> None:
        super().__init__(name=f"sqs-{mapping.logical_name}", daemon=True)
        self._function_timeout = function_timeout_seconds
        self._switch = switch
        self._mapping = mapping
        self._invoke = invoke
        # How many batches at once (ScalingConfig.MaximumConcurrency, changed by UpdateEventSourceMapping).
        self._slots = slots or Slots(1)
        # The most batches it may ever run at once (the function's own limit): its thread pool's size.
        self._ceiling = max(1, concurrency_ceiling, self._slots.limit)
        self._report = report
        self._stopping = stop
        self._retry_delay = retry_delay_seconds
        self._sqs = client("sqs", endpoint_url)
        self._filter = RecordFilter(mapping.filter_patterns)
        queue_name = mapping.event_source_arn.rsplit(":", 1)[-1]
        self._queue_url = self._sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
        self._partial = "ReportBatchItemFailures" in mapping.function_response_types

    def run(self) -> None:
        slots = self._slots
        with ThreadPoolExecutor(self._ceiling, thread_name_prefix=self.name) as batches:
            while not self._stopping.is_set():
                if not slots.acquire(timeout=0.2):
                    continue
                if not self._switch.enter(self._stopping):
                    slots.release()
                    continue
                handed_over = False
                try:
                    records = self._collect_batch()
                    if records:
                        batches.submit(self._process_in_slot, records, slots)
                        handed_over = True
                except Exception:
                    # Keep polling, as Lambda does; the trace lands in the function's log.
                    self._report(traceback.format_exc())
                    self._stopping.wait(1)
                finally:
                    if not handed_over:
                        self._switch.leave()
                        slots.release()

    def _process_in_slot(self, records: list[dict[str, Any]], slots: Slots) -> None:
        try:
            self._process(records)
        except Exception:
            # The messages come back after their visibility timeout, as on AWS.
            self._report(traceback.format_exc())
        finally:
            self._switch.leave()
            slots.release()

    def _receive(self, count: int, wait_seconds: int) -> list[dict[str, Any]]:
        response = self._sqs.receive_message(
            QueueUrl=self._queue_url,
            MaxNumberOfMessages=max(1, min(count, _MAX_PER_RECEIVE)),
            WaitTimeSeconds=wait_seconds,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        return [sqs_record(m, self._mapping.event_source_arn) for m in response.get("Messages", [])]

    def _collect_batch(self) -> list[dict[str, Any]]:
        batch_size = self._mapping.batch_size
        records = self._receive(batch_size, _LONG_POLL_SECONDS)
        window = self._mapping.maximum_batching_window_in_seconds
        if not records or window <= 0:
            return records
        # With a batching window Lambda keeps gathering until the batch is full or time is up.
        deadline = time.monotonic() + window
        while len(records) < batch_size and time.monotonic() < deadline:
            more = self._receive(batch_size - len(records), 0)
            if not more:
                self._stopping.wait(0.1)
            records.extend(more)
        return records

    def _process(self, records: list[dict[str, Any]]) -> None:
        if self._filter:
            dropped = [r for r in records if not self._filter.keeps(sqs_filter_view(r))]
            # Lambda deletes messages that match no filter; the function never sees them.
            self._delete_messages(dropped)
            records = [r for r in records if self._filter.keeps(sqs_filter_view(r))]
            if not records:
                return
        started = time.monotonic()
        invocation = self._invoke({"Records": records})
        if invocation.failed:
            unfinished = (invocation.error or {}).get("errorType") in _UNFINISHED
            # An invocation that ended without returning (killed, timed out) may still hold
            # what it started until its deadline; one that returned an error holds nothing.
            deadline = started + self._function_timeout if unfinished else 0.0
            self._retry_later(records, not_before=deadline)
            return
        if not self._partial:
            self._delete_messages(records)
            return
        try:
            failed = set(failed_identifiers(invocation.result, [r["messageId"] for r in records]))
        except InvalidBatchResponseError as error:
            self._report(f"Invalid partial batch response, retrying the whole batch: {error}")
            self._retry_later(records)
            return
        self._delete_messages([r for r in records if r["messageId"] not in failed])
        self._retry_later([r for r in records if r["messageId"] in failed])

    def _delete_messages(self, records: list[dict[str, Any]]) -> None:
        for start in range(0, len(records), _MAX_PER_RECEIVE):
            chunk = records[start : start + _MAX_PER_RECEIVE]
            self._sqs.delete_message_batch(
                QueueUrl=self._queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": r["receiptHandle"]} for i, r in enumerate(chunk)],
            )

    def _retry_later(self, records: list[dict[str, Any]], not_before: float = 0.0) -> None:
        delay = max(self._retry_delay, math.ceil(not_before - time.monotonic()))
        for record in records:
            # The message may already have moved on; then there is nothing to shorten.
            with contextlib.suppress(ClientError):
                self._sqs.change_message_visibility(
                    QueueUrl=self._queue_url,
                    ReceiptHandle=record["receiptHandle"],
                    VisibilityTimeout=delay,
                )
