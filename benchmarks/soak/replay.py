"""Replaying one order's request mix against a moto server, as a new order each time.

What a replay does, step by step, and where it is simpler than the function host:

- A recorded request is sent again as recorded (same headers; moto does not check
  signatures), after mapping every id in its path and body to a fresh one: each UUID (order,
  customer, event and request ids) and each 32-hex digest (Powertools' idempotency keys).
  The same recorded id maps to the same new id within one replay (a KMS Decrypt is the
  exception: it is sent as recorded, its ciphertext being bound to the recorded ids), so conditional writes
  (attribute_not_exists, version = :previous, the idempotency records) succeed as they do
  for a new order. The gateway's request id (not a UUID) is kept; it is only ever data.
- A consume (see `order_mix`) is a ReceiveMessage without long polling, for as many messages
  as the recorded delete named, then one delete of exactly the receipt handles that receive
  answered. Threads share the queues, so a receive may get another replay's message; the
  count received and deleted stays what was sent, and nothing is left to grow the queue. A
  receive that comes back short is counted (`short_receives`) and deletes what it got.
- A stream read is a GetRecords on the table's one shard from an iterator shared by all
  threads (one poller per shard, as Lambda does), under a lock, following NextShardIterator.
- A 5xx answer is retried as the functions' SDK does (up to the recorded `amz-sdk-request`
  max attempts, short jittered waits) and counted (`retried`): stock moto 5.2.5 answers 500
  when two transactions run at once (its whole-table deepcopy meets a table being written).
- No function code runs: the replay asks what the functions asked, without their CPU time.
  Requests go one after another within a replay, over one keep-alive connection per thread.
"""

from __future__ import annotations

import http.client
import json
import random
import re
import threading
import time
import urllib.parse
import uuid
from collections import Counter
from dataclasses import dataclass, field

from benchmarks.soak.order_mix import Consume, OrderMix, ReadStream, Send
from benchmarks.soak.recording import RecordedRequest
from localcloud.emulator.clients import client

_ID = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|(?<![0-9A-Za-z])[0-9a-f]{32}(?![0-9A-Za-z])"
)
_DROPPED_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "expect"})
# botocore's standard retry mode, when the recorded "amz-sdk-request: attempt=1; max=N" says nothing.
_ATTEMPTS = 3
_MAX_ATTEMPTS = re.compile(r"max=(\d+)")


class FreshIds:
    """Every id of the recorded order mapped to a new one, the same one within a replay."""

    def __init__(self) -> None:
        self._new: dict[str, str] = {}

    def __call__(self, text: str) -> str:
        return _ID.sub(self._swap, text)

    def new_id(self, recorded: str) -> str:
        return self(recorded)

    def _swap(self, match: re.Match[str]) -> str:
        recorded = match.group(0)
        if recorded not in self._new:
            self._new[recorded] = str(uuid.uuid4()) if "-" in recorded else uuid.uuid4().hex
        return self._new[recorded]


@dataclass(frozen=True)
class _Prepared:
    operation: str
    method: str
    path: str
    headers: dict[str, str]
    text: str
    attempts: int = _ATTEMPTS


class ReplayPlan:
    """The mix, pointed at another server: its address in place of the recorded one."""

    def __init__(self, mix: OrderMix, recorded_endpoint: str, endpoint_url: str) -> None:
        self.mix = mix
        self.endpoint_url = endpoint_url
        self._old = urllib.parse.urlsplit(recorded_endpoint).netloc
        self._new = urllib.parse.urlsplit(endpoint_url).netloc
        self.steps = [(step, self._prepare(_request_of(step))) for step in mix.steps]

    def queue_url(self, recorded: str) -> str:
        return recorded.replace(self._old, self._new)

    def _prepare(self, request: RecordedRequest) -> _Prepared:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _DROPPED_HEADERS}
        headers["Host"] = self._new
        text = request.body.decode("utf-8").replace(self._old, self._new)
        sdk_request = next((v for k, v in headers.items() if k.lower() == "amz-sdk-request"), "")
        attempts = _MAX_ATTEMPTS.search(sdk_request)
        return _Prepared(
            request.operation,
            request.method,
            request.path,
            headers,
            text,
            int(attempts.group(1)) if attempts else _ATTEMPTS,
        )


def _request_of(step: Send | Consume | ReadStream) -> RecordedRequest:
    return step.delete if isinstance(step, Consume) else step.request


class StreamCursors:
    """One shared iterator per streamed table, from the replays' start (LATEST)."""

    def __init__(self, endpoint_url: str, tables: set[str]) -> None:
        dynamodb, streams = client("dynamodb", endpoint_url), client("dynamodbstreams", endpoint_url)
        self._iterators: dict[str, str] = {}
        self._locks = {table: threading.Lock() for table in tables}
        for table in tables:
            arn = dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
            shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
            self._iterators[table] = streams.get_shard_iterator(
                StreamArn=arn, ShardId=shard, ShardIteratorType="LATEST"
            )["ShardIterator"]

    def lock(self, table: str) -> threading.Lock:
        return self._locks[table]

    def iterator(self, table: str) -> str:
        return self._iterators[table]

    def advance(self, table: str, iterator: str) -> None:
        self._iterators[table] = iterator


@dataclass
class Tally:
    requests: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    retried: Counter[str] = field(default_factory=Counter)
    short_receives: int = 0
    replays: int = 0

    def add(self, other: Tally) -> None:
        self.requests.update(other.requests)
        self.errors.update(other.errors)
        self.retried.update(other.retried)
        self.short_receives += other.short_receives
        self.replays += other.replays


class ReplayClient:
    """Replays the plan, one order at a time, over its own connection."""

    def __init__(self, plan: ReplayPlan, cursors: StreamCursors) -> None:
        self._plan = plan
        self._cursors = cursors
        address = urllib.parse.urlsplit(plan.endpoint_url)
        self._host, self._port = address.hostname or "127.0.0.1", address.port
        self._connection = http.client.HTTPConnection(self._host, self._port, timeout=60)
        self.tally = Tally()

    def replay(self) -> FreshIds:
        ids = FreshIds()
        for step, prepared in self._plan.steps:
            if isinstance(step, Consume):
                self._consume(step, prepared)
            elif isinstance(step, ReadStream):
                self._read_stream(step, prepared)
            elif prepared.operation == "Decrypt":
                # The recorded ciphertext is bound to the recorded order id by its encryption
                # context: with a fresh id KMS would refuse it (AccessDenied), as it should.
                self._send(prepared, prepared.text, prepared.path)
            else:
                self._send(prepared, ids(prepared.text), ids(prepared.path))
        self.tally.replays += 1
        return ids

    def close(self) -> None:
        self._connection.close()

    def _consume(self, step: Consume, delete: _Prepared) -> None:
        queue_url = self._plan.queue_url(step.queue_url)
        receive = _Prepared(
            "ReceiveMessage",
            delete.method,
            delete.path,
            {**delete.headers, "X-Amz-Target": "AmazonSQS.ReceiveMessage"},
            "",
            delete.attempts,
        )
        body = {**step.receive_options, "QueueUrl": queue_url, "MaxNumberOfMessages": step.messages}
        answer = self._send(receive, json.dumps({**body, "WaitTimeSeconds": 0}))
        handles = [m["ReceiptHandle"] for m in (answer or {}).get("Messages", [])]
        if len(handles) < step.messages:
            self.tally.short_receives += 1
        if delete.operation == "DeleteMessage":
            for handle in handles:
                self._send(delete, json.dumps({"QueueUrl": queue_url, "ReceiptHandle": handle}))
        elif handles:
            entries = [{"Id": str(i), "ReceiptHandle": handle} for i, handle in enumerate(handles)]
            self._send(delete, json.dumps({"QueueUrl": queue_url, "Entries": entries}))

    def _read_stream(self, step: ReadStream, prepared: _Prepared) -> None:
        limit = json.loads(prepared.text).get("Limit", 100)
        with self._cursors.lock(step.table):
            body = {"ShardIterator": self._cursors.iterator(step.table), "Limit": limit}
            answer = self._send(prepared, json.dumps(body))
            if answer and answer.get("NextShardIterator"):
                self._cursors.advance(step.table, answer["NextShardIterator"])

    def _send(self, prepared: _Prepared, body: str, path: str | None = None) -> dict | None:
        """Send one request, retried on 5xx as the SDK does; the answer of a successful read."""
        for attempt in range(prepared.attempts):
            self.tally.requests[prepared.operation] += 1
            status, data = self._exchange(prepared.method, path or prepared.path, prepared.headers, body.encode())
            if status < 500 or attempt == prepared.attempts - 1:
                break
            self.tally.retried[f"{prepared.operation} {status} {_error_code(data)}"] += 1
            time.sleep(random.uniform(0, 0.05 * 2**attempt))
        if status >= 400:
            self.tally.errors[f"{prepared.operation} {status} {_error_code(data)}"] += 1
            return None
        if prepared.operation in ("ReceiveMessage", "GetRecords"):
            return json.loads(data)
        return None

    def _exchange(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
        try:
            return self._round_trip(method, path, headers, body)
        except (http.client.HTTPException, ConnectionError):
            # The server may close a kept-alive connection between requests: reconnect once.
            self._connection.close()
            self._connection = http.client.HTTPConnection(self._host, self._port, timeout=60)
            return self._round_trip(method, path, headers, body)

    def _round_trip(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
        self._connection.request(method, path, body=body, headers=headers)
        response = self._connection.getresponse()
        return response.status, response.read()


def _error_code(data: bytes) -> str:
    try:
        code = json.loads(data).get("__type", "")
        return str(code).rsplit("#", 1)[-1]
    except ValueError:
        # Query-protocol errors carry a <Code>; werkzeug's own 500 page only a <title>.
        match = re.search(rb"<Code>([^<]+)</Code>", data) or re.search(rb"<title>([^<]+)</title>", data)
        return match.group(1).decode() if match else data[:60].decode(errors="replace")
