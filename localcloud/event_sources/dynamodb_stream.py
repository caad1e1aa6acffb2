"""A DynamoDB stream event source mapping: read in order, filter, invoke, retry, give up.

Per shard, records are handed over in sequence order. A failed batch is retried
(from the first failed record when the handler reports batchItemFailures) until
`maximum_retry_attempts` is spent; then a failure record goes to the on-failure
destination and the poller moves past the batch, as Lambda does. Retries wait
`retry_delay_seconds` between attempts. Bisecting a failed batch is not emulated.
One batch per shard is in flight at a time (ParallelizationFactor 1), however many
instances the function has.
"""

from __future__ import annotations

import json
import threading
import traceback
from collections.abc import Callable
from typing import Any

from localcloud.emulator.clients import client
from localcloud.event_sources.filters import RecordFilter
from localcloud.event_sources.switch import MappingSwitch
from localcloud.lambda_runtime.batch_response import InvalidBatchResponseError, failed_identifiers
from localcloud.lambda_runtime.invoker import InvokeFunction
from localcloud.lambda_runtime.records import dynamodb_record, stream_failure_record
from localcloud.provisioning.deployment import EventSourceMappingSpec

# Lambda polls each shard about four times a second and reads again at once after a batch.
# Locally an idle shard is read ten times a second: a GetRecords on moto costs about a
# millisecond, and the shorter wait takes ~75 ms off every hop through a stream.
_IDLE_SECONDS = 0.1
# Every this many empty reads, an idle shard is read from a fresh iterator at the checkpoint.
_REANCHOR_AFTER_EMPTY_READS = 10


class StreamPoller(threading.Thread):
    def __init__(
        self,
        mapping: EventSourceMappingSpec,
        invoke: InvokeFunction,
        function_arn: str,
        endpoint_url: str,
        stop: threading.Event,
        retry_delay_seconds: int,
        switch: MappingSwitch,
        *,
        report: Callable[[str], None] = print,
    ) -> None:
        super().__init__(name=f"stream-{mapping.logical_name}", daemon=True)
        self._switch = switch
        self._mapping = mapping
        self._invoke = invoke
        self._report = report
        self._function_arn = function_arn
        self._stopping = stop
        self._retry_delay = retry_delay_seconds
        self._streams = client("dynamodbstreams", endpoint_url)
        self._sqs = client("sqs", endpoint_url)
        self._filter = RecordFilter(mapping.filter_patterns)
        self._partial = "ReportBatchItemFailures" in mapping.function_response_types
        # Take the iterators now, so LATEST means "from when the mapping started".
        self._iterators = self._open_shards()
        # Per shard, the last sequence number read: where the mapping resumes, as Lambda's checkpoint.
        self._checkpoints: dict[str, str] = {}
        self._empty_reads: dict[str, int] = {}

    def _open_shards(self) -> dict[str, str]:
        stream = self._streams.describe_stream(StreamArn=self._mapping.event_source_arn)
        iterator_type = self._mapping.starting_position or "LATEST"
        iterators = {}
        for shard in stream["StreamDescription"]["Shards"]:
            iterators[shard["ShardId"]] = self._streams.get_shard_iterator(
                StreamArn=self._mapping.event_source_arn,
                ShardId=shard["ShardId"],
                ShardIteratorType=iterator_type,
            )["ShardIterator"]
        return iterators

    def run(self) -> None:
        while not self._stopping.is_set():
            busy = False
            with self._switch.turn(self._stopping) as enabled:
                for shard_id in list(self._iterators) if enabled else []:
                    try:
                        busy |= self._poll_shard(shard_id)
                    except Exception:
                        self._report(traceback.format_exc())
                        self._stopping.wait(1)
            if not busy:
                self._stopping.wait(_IDLE_SECONDS)

    def _poll_shard(self, shard_id: str) -> bool:
        response = self._streams.get_records(ShardIterator=self._iterators[shard_id], Limit=self._mapping.batch_size)
        if response.get("NextShardIterator"):
            self._iterators[shard_id] = response["NextShardIterator"]
        arn = self._mapping.event_source_arn
        records = [dynamodb_record(r, arn) for r in response.get("Records", [])]
        if records:
            self._checkpoints[shard_id] = records[-1]["dynamodb"]["SequenceNumber"]
            self._empty_reads[shard_id] = 0
        else:
            self._empty_reads[shard_id] = self._empty_reads.get(shard_id, 0) + 1
            if self._empty_reads[shard_id] % _REANCHOR_AFTER_EMPTY_READS == 0:
                self._reanchor(shard_id)
        kept = [r for r in records if self._filter.keeps(r)]
        if kept:
            self._deliver(shard_id, kept)
        return bool(records)

    def _reanchor(self, shard_id: str) -> None:
        # An iterator can stop seeing new records: AWS expires one after 15 minutes, and moto's
        # cancelled transactions put a copy of the table (and its stream) in place of the one the
        # iterator reads. A fresh iterator after the checkpoint reads the live stream.
        position: dict[str, str] = {"ShardIteratorType": "TRIM_HORIZON"}
        if (checkpoint := self._checkpoints.get(shard_id)) is not None:
            position = {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": checkpoint}
        elif self._mapping.starting_position != "TRIM_HORIZON":
            return  # nothing read yet after LATEST: the mapping's start is the iterator it has
        self._iterators[shard_id] = self._streams.get_shard_iterator(
            StreamArn=self._mapping.event_source_arn, ShardId=shard_id, **position
        )["ShardIterator"]

    def _deliver(self, shard_id: str, batch: list[dict[str, Any]]) -> None:
        attempts = 0
        while batch and not self._stopping.is_set():
            invocation = self._invoke({"Records": batch})
            attempts += 1
            error_type = "Unhandled" if invocation.failed else None
            if not invocation.failed:
                retry_from = self._first_failure(batch, invocation.result)
                if retry_from is None:
                    return
                if retry_from > 0:
                    # Records before the first failure are checkpointed; retry the rest anew.
                    batch, attempts = batch[retry_from:], 0
            retries_allowed = self._mapping.maximum_retry_attempts
            if retries_allowed >= 0 and attempts > retries_allowed:
                self._give_up(shard_id, batch, attempts, error_type)
                return
            self._stopping.wait(self._retry_delay)

    def _first_failure(self, batch: list[dict[str, Any]], result: Any) -> int | None:
        if not self._partial:
            return None
        sequence_numbers = [r["dynamodb"]["SequenceNumber"] for r in batch]
        try:
            failed = failed_identifiers(result, sequence_numbers)
        except InvalidBatchResponseError as error:
            self._report(f"Invalid partial batch response, retrying the whole batch: {error}")
            return 0
        if not failed:
            return None
        return min(sequence_numbers.index(identifier) for identifier in failed)

    def _give_up(self, shard_id: str, batch: list[dict[str, Any]], attempts: int, error_type: str | None) -> None:
        destination = self._mapping.on_failure_destination
        self._report(
            f"Giving up on {len(batch)} stream records after {attempts} attempts"
            + (f"; sending a failure record to {destination}" if destination else "")
        )
        if not destination:
            return
        failure = stream_failure_record(
            records=batch,
            shard_id=shard_id,
            stream_arn=self._mapping.event_source_arn,
            function_arn=self._function_arn,
            invoke_count=attempts,
            condition="RetryAttemptsExhausted",
            function_error=error_type,
        )
        if destination.split(":")[2] != "sqs":
            self._report(f"On-failure destination {destination} is not emulated; record dropped")
            return
        queue_url = self._sqs.get_queue_url(QueueName=destination.rsplit(":", 1)[-1])["QueueUrl"]
        self._sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(failure))
