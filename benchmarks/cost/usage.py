"""What one order asked of AWS, as priced charges: one list per order played.

Sources, all measured on the embedded cloud while the order ran and until its saga was quiet:
- moto's request recorder (the soak's): every request the functions made, by kind;
- what the recorder cannot see because moto does it inside PutEvents: each bus-to-bus forward
  (one per consuming context of the event, as the catalog's rules route it) and the SendMessage
  EventBridge makes to that context's queue;
- each function's metrics (invocations and their durations, which Lambda keeps whatever its log
  level) and its log: the bytes it wrote, Lambda's own START/END/REPORT lines among them unless the
  stack's system log level (LoggingConfig.SystemLogLevel) is WARN;
- the global bus's event log: each event's bytes (logged and archived);
- under sagaStyle orchestration, the order's Step Functions execution: its billed state transitions
  and what it logged (`executions`);
- the client's own HTTP requests to the API.

Lambda bills each invocation's wall-clock duration. Here that is this 2-core machine's, shared with
other work and waiting on a moto server far slower than DynamoDB: a figure of the neighbours more
than of the code. So the duration priced is what the code itself costs: the CPU time its instances
spent on the order (read from /proc), plus each AWS request it made at an assumed in-region latency
(`ASSUMED_LATENCY_MS`). The wall-clock figure measured here is printed beside, for reference.
Cold starts (a new instance's import) are left out.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from benchmarks.cost import prices
from benchmarks.cost.dynamodb_units import UnitCounter
from benchmarks.cost.prices import Price
from benchmarks.soak.recording import RecordedRequest
from contracts import Catalog

_WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"})
_READS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan"})
_SQS_DELETES = frozenset({"DeleteMessageBatch", "DeleteMessage"})
CHUNK = 64 * 1024
_PLATFORM_LINES = ("START RequestId:", "END RequestId:", "REPORT RequestId:")
# Assumed round trips from a function to the service in the same region: DynamoDB answers in "single-
# digit milliseconds" (AWS's own claim for the service); EventBridge, SNS and KMS publish no latency
# figure: 20, 20 and 10 ms are assumptions, as is Step Functions' 20 ms for StartExecution. Requests
# Lambda's pollers make (SQS, streams) are not the function's.
ASSUMED_LATENCY_MS = {"dynamodb": 5.0, "events": 20.0, "sns": 20.0, "kms": 10.0, "states": 20.0}
_KMS = frozenset({"Encrypt", "Decrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "ReEncrypt"})
_SERVICE_OF = {
    **{operation: "dynamodb" for operation in _WRITES | _READS},
    "PutEvents": "events",
    "Publish": "sns",
    **{operation: "kms" for operation in _KMS},
    "StartExecution": "states",
}


@dataclass(frozen=True)
class Charge:
    component: str
    price: Price
    units: float  # per order
    what: str  # the table, function, event or request kind it comes from
    tags: frozenset[str] = frozenset()

    @property
    def usd_per_million_orders(self) -> float:
        return self.price.of(self.units) * 1_000_000


@dataclass(frozen=True)
class FunctionRun:
    """What one function did for the order, from its log."""

    name: str
    memory_mb: int
    queue_worker: bool  # invoked by an SQS mapping (each invocation is one productive receive)
    log_text: str
    cpu_seconds: float  # of its warm instances while the order ran
    # Its invocations' durations, from its metrics (localcloud.functions.instance.FunctionLog).
    durations_ms: list[float] = field(default_factory=list)

    @property
    def log_bytes(self) -> int:
        return len(self.log_text.encode())

    @property
    def platform_log_bytes(self) -> int:
        """Lambda's own START/END/REPORT lines (its "system" log level), not the handler's."""
        platform = [line for line in self.log_text.splitlines(keepends=True) if line.startswith(_PLATFORM_LINES)]
        return len("".join(platform).encode())


@dataclass
class OrderUsage:
    scenario: str
    status: str
    charges: list[Charge] = field(default_factory=list)
    # What Lambda would bill for the durations measured on this machine (not priced; see above).
    wall_clock_gb_seconds: float = 0.0

    def total(self, without: Iterable[str] = ()) -> float:
        return sum(c.usd_per_million_orders for c in self.charges if not c.tags & set(without))

    def by_component(self) -> Counter[str]:
        totals: Counter[str] = Counter()
        for charge in self.charges:
            totals[charge.component] += charge.usd_per_million_orders  # type: ignore[assignment]
        return totals

    def units(self, component: str, tag: str | None = None) -> float:
        return sum(c.units for c in self.charges if c.component == component and (tag is None or tag in c.tags))


@dataclass(frozen=True)
class Measurement:
    scenario: str
    status: str
    requests: list[RecordedRequest]
    functions: list[FunctionRun]
    event_log_messages: list[str]
    api_requests: int
    # How the stack runs the saga (its `sagaStyle` output): the global bus routes by it.
    saga_style: str = "choreography"
    # The order's Step Functions execution (orchestration): transitions billed, lines it logged.
    state_transitions: int = 0
    execution_log_messages: list[str] = field(default_factory=list)


def price_order(
    measured: Measurement, catalog: Catalog, global_bus: str, idempotency_tables: set[str], units: UnitCounter
) -> OrderUsage:
    usage = OrderUsage(measured.scenario, measured.status)
    add = usage.charges.append
    for request in measured.requests:
        operation = request.operation
        if operation in _WRITES:
            for item in units.writes(request):
                tags = {f"table:{item.table}", f"op:{item.operation}"}
                if item.table in idempotency_tables:
                    tags.add("idempotency")
                if item.event:
                    tags.add(f"event:{item.event}")
                add(Charge("DynamoDB writes", prices.DYNAMODB_WRITE_UNIT, item.units, item.table, frozenset(tags)))
        elif operation in _READS:
            for item in units.reads(request):
                tags = frozenset({f"table:{item.table}", f"op:{item.operation}"})
                add(Charge("DynamoDB reads", prices.DYNAMODB_READ_UNIT, item.units, item.table, tags))
        elif operation == "PutEvents":
            _price_put_events(request, catalog, global_bus, measured.saga_style, add)
        elif operation in _SQS_DELETES:
            add(Charge("SQS", prices.SQS_REQUEST, 1, operation, frozenset({"sqs:delete"})))
        elif operation in _KMS:
            add(Charge("KMS", prices.KMS_REQUEST, 1, operation))
        elif operation == "Publish":
            add(Charge("SNS", prices.SNS_PUBLISH, _chunks(len(request.body)), "Publish"))
    invoked = [f for f in measured.functions if f.durations_ms]
    for function in invoked:
        durations = function.durations_ms
        tags = frozenset({f"function:{function.name}"})
        add(Charge("Lambda requests", prices.LAMBDA_REQUEST, len(durations), function.name, tags))
        gb_seconds = function.cpu_seconds * function.memory_mb / 1024
        usage.wall_clock_gb_seconds += sum(math.ceil(ms) for ms in durations) / 1000 * function.memory_mb / 1024
        add(Charge("Lambda duration", prices.LAMBDA_GB_SECOND, gb_seconds, f"{function.name} CPU", tags))
        if function.queue_worker:
            # Lambda's poller received the batch each invocation was given.
            add(Charge("SQS", prices.SQS_REQUEST, len(durations), "ReceiveMessage", frozenset({"sqs:receive"})))
        logs = prices.CLOUDWATCH_LOGS_INGESTION
        platform = function.platform_log_bytes
        add(Charge("CloudWatch Logs", logs, function.log_bytes - platform, function.name, tags | {"log:application"}))
        add(Charge("CloudWatch Logs", logs, platform, function.name, tags | {"log:platform"}))
    services = [_SERVICE_OF[r.operation] for r in measured.requests if r.operation in _SERVICE_OF]
    waited_ms = sum(ASSUMED_LATENCY_MS[service] for service in services)
    memory_mb = sum(f.memory_mb for f in invoked) / max(1, len(invoked))
    waited = waited_ms / 1000 * memory_mb / 1024
    add(Charge("Lambda duration", prices.LAMBDA_GB_SECOND, waited, "waiting on AWS (assumed latency)"))
    for message in measured.event_log_messages:
        size = len(message.encode())
        tags = frozenset({f"event:{_event_name(json.loads(message).get('detail', {}))}"})
        add(Charge("CloudWatch Logs", prices.CLOUDWATCH_LOGS_INGESTION, size, "event log", tags))
        add(Charge("EventBridge archive", prices.EVENTBRIDGE_ARCHIVE, size, "archive", tags))
    if measured.state_transitions:
        add(Charge("Step Functions", prices.STEP_FUNCTIONS_TRANSITION, measured.state_transitions, "transitions"))
    for message in measured.execution_log_messages:
        add(Charge("CloudWatch Logs", prices.CLOUDWATCH_LOGS_INGESTION, len(message.encode()), "execution log"))
    add(Charge("API Gateway", prices.HTTP_API_REQUEST, measured.api_requests, "HTTP API"))
    return usage


def forwarded_to(catalog: Catalog, event_type: str, version: int, saga_style: str) -> tuple[str, ...]:
    """The contexts whose private bus the global bus forwards this event to, as the style routes it
    (components/routing.py): every consumer, less, under orchestration, a step that does it instead."""
    return tuple(
        context
        for context in catalog.contexts
        if any((e.type, e.version) == (event_type, version) for e in catalog.routed_to(context, saga_style))
    )


def _price_put_events(
    request: RecordedRequest, catalog: Catalog, global_bus: str, saga_style: str, add: Callable[[Charge], None]
) -> None:
    for entry in request.json()["Entries"]:
        detail = json.loads(entry.get("Detail") or "{}")
        name = _event_name(detail)
        tags = frozenset({f"event:{name}"})
        chunks = _chunks(len(json.dumps(entry).encode()))
        add(Charge("EventBridge", prices.EVENTBRIDGE_EVENT, chunks, f"{name} published", tags | {"published"}))
        bus = str(entry.get("EventBusName", "default"))
        if bus != global_bus and not bus.endswith(f"/{global_bus}"):
            continue  # an event internal to a context: its rules are the context's own
        version = int(name.rsplit("/v", 1)[1]) if "/v" in name else 1
        consumers = forwarded_to(catalog, detail["type"], version, saga_style)
        # Each consuming context's rule forwards it to that context's private bus (billed as a
        # custom event), whose rule puts it on the context's queue (one SendMessage).
        add(
            Charge(
                "EventBridge",
                prices.EVENTBRIDGE_EVENT,
                chunks * len(consumers),
                f"{name} forwarded",
                tags | {"delivered"},
            )
        )
        add(Charge("SQS", prices.SQS_REQUEST, chunks * len(consumers), "SendMessage", tags | {"sqs:send", "delivered"}))


def _event_name(cloudevent: dict[str, object]) -> str:
    version = str(cloudevent.get("dataschema", "")).rsplit("/", 1)[-1].removesuffix(".json")
    return f"{cloudevent.get('type')}/{version}"


def _chunks(size: int) -> int:
    return max(1, math.ceil(size / CHUNK))
