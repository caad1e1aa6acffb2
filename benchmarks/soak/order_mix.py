"""One order's request mix: what the emulator must serve per order, with the idle polls left out.

The function host's pollers ask moto all the time: each SQS mapping long-polls its queue, each
stream mapping reads its shard a few times a second. Those reads do not grow with the number
of orders, so they are not part of an order's cost; what is, is the reads that found work:

- SQS: each productive receive is followed by one DeleteMessageBatch of what it got (the host
  deletes what succeeded). The recorder logs a long poll when it *arrives*, before the message
  it will return exists, so recorded receives cannot be told apart or replayed in place. Each
  recorded delete therefore stands for one receive of as many messages, made just before it.
- DynamoDB streams: a GetRecords found records if the table was written since the previous
  GetRecords of its stream (GetRecords answers at once, so recorded order is serving order).
  The others, including the poller's re-read right after a busy read, are left out.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from benchmarks.soak.recording import POLLS, RecordedRequest, Recording

_WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem"})
_DELETES = frozenset({"DeleteMessageBatch", "DeleteMessage"})
_DEFAULT_RECEIVE_OPTIONS: dict[str, Any] = {"AttributeNames": ["All"], "MessageAttributeNames": ["All"]}


@dataclass(frozen=True)
class Send:
    """A request replayed as recorded, with fresh ids."""

    request: RecordedRequest


@dataclass(frozen=True)
class Consume:
    """One receive that found messages, then the delete of what it received."""

    queue_url: str  # as recorded
    messages: int
    delete: RecordedRequest
    # What the poller asks a receive for (attribute names), from its recorded receives.
    receive_options: dict[str, Any]


@dataclass(frozen=True)
class ReadStream:
    """One GetRecords that found new records on the table's stream."""

    table: str
    request: RecordedRequest


Step = Send | Consume | ReadStream


@dataclass(frozen=True)
class OrderMix:
    steps: list[Step]
    left_out: Counter[str] = field(default_factory=Counter)

    @classmethod
    def of(cls, recording: Recording) -> OrderMix:
        steps: list[Step] = []
        left_out: Counter[str] = Counter()
        written_since_read: dict[str, bool] = {}
        receive_options = _receive_options(recording)
        for request in recording.requests:
            operation = request.operation
            if operation == "GetRecords":
                table = stream_table(request.json()["ShardIterator"])
                if written_since_read.get(table):
                    steps.append(ReadStream(table, request))
                else:
                    left_out[operation] += 1
                written_since_read[table] = False
            elif operation in POLLS:
                left_out[operation] += 1
            elif operation in _DELETES:
                body = request.json()
                messages = len(body["Entries"]) if "Entries" in body else 1
                options = receive_options.get(body["QueueUrl"], _DEFAULT_RECEIVE_OPTIONS)
                steps.append(Consume(body["QueueUrl"], messages, request, options))
            else:
                for table in written_tables(request):
                    written_since_read[table] = True
                steps.append(Send(request))
        return cls(steps, left_out)

    @property
    def stream_tables(self) -> set[str]:
        return {step.table for step in self.steps if isinstance(step, ReadStream)}

    def requests_by_operation(self) -> Counter[str]:
        counts: Counter[str] = Counter()
        for step in self.steps:
            if isinstance(step, Consume):
                counts["ReceiveMessage"] += 1
                counts[step.delete.operation] += 1
            else:
                counts[step.request.operation] += 1
        return counts

    @property
    def request_count(self) -> int:
        return sum(self.requests_by_operation().values())

    def describe(self) -> str:
        counts = ", ".join(f"{n} {operation}" for operation, n in self.requests_by_operation().most_common())
        idle = ", ".join(f"{n} {operation}" for operation, n in self.left_out.most_common())
        return f"{self.request_count} requests ({counts}); idle polls left out: {idle or 'none'}"


def _receive_options(recording: Recording) -> dict[str, dict[str, Any]]:
    options = {}
    for request in recording.requests:
        if request.operation == "ReceiveMessage":
            body = request.json()
            skipped = ("QueueUrl", "MaxNumberOfMessages", "WaitTimeSeconds", "ReceiveRequestAttemptId")
            options[body["QueueUrl"]] = {k: v for k, v in body.items() if k not in skipped}
    return options


def stream_table(shard_iterator: str) -> str:
    # moto's iterators read "arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label>|1|<id>".
    return shard_iterator.split("|", 1)[0].split(":table/", 1)[1].split("/", 1)[0]


def written_tables(request: RecordedRequest) -> set[str]:
    operation = request.operation
    if operation in _WRITES:
        return {request.json()["TableName"]}
    if operation == "TransactWriteItems":
        return {
            action["TableName"]
            for item in request.json()["TransactItems"]
            for kind, action in item.items()
            if kind != "ConditionCheck"
        }
    if operation == "BatchWriteItem":
        return set(request.json()["RequestItems"])
    return set()
