"""Choreography against orchestration: one run of each saga style on the embedded cloud, side by side.

Deploys the stack once per style (`sagaStyle`), places N happy-path orders a few at a time, and
counts what each order took: POST → CONFIRMED (p50, p95), the events on the global bus and the
bus-to-bus forwards its rules made of them, the function invocations, and the state machine's
transitions (retries included, as Step Functions bills them). Then, on the same warm deployment,
one confirmed and one declined-payment order (demo.scenarios) each recorded and priced by the cost
model (benchmarks/cost: every AWS request by kind, at the list prices of benchmarks/cost/prices.py),
so each style's whole cost per million orders reads by component. Writes
docs/choreography-vs-orchestration.md.

    .venv/bin/python -m benchmarks.styles [--orders 20] [--concurrency 2] [--stack prod] [--write-docs]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchmarks.cost import executions, prices
from benchmarks.cost.playing import STOCK, play_and_price, record_requests
from benchmarks.cost.report import COMPONENTS, PRICES, Summary
from benchmarks.cost.usage import forwarded_to
from benchmarks.report import write_section
from components.settings import SAGA_STYLE_CONFIG_KEY, SAGA_STYLES
from contracts import load_catalog
from demo.scenarios import SCENARIOS
from localcloud.provisioning.deployment import INSTANCE_VARIABLE
from saga_client import SagaTarget
from saga_client.operations import event_log, first_of_each, get_order, place_order, seed_stock
from saga_client.orders import order_request

PROJECT_DIR = Path(__file__).resolve().parents[1]
DOC = PROJECT_DIR / "docs" / "choreography-vs-orchestration.md"
SKU = "STYLES-MUG"
# The orders priced per style: a confirmed one, and one whose payment is declined (its compensations).
PRICED = tuple(s for s in SCENARIOS if s.title in ("happy path", "payment declined"))
# The cost rows' order; any component the cost model adds later is shown after them.
COST_ROWS = (
    "Lambda requests",
    "Lambda duration",
    "EventBridge",
    "EventBridge archive",
    "SQS",
    "DynamoDB writes",
    "DynamoDB reads",
    "CloudWatch Logs",
    "API Gateway",
    "SNS",
    "KMS",
    "Step Functions",
)
# Counts of the cost model shown per priced order (the rest are in docs/performance.md).
COUNT_ROWS = (
    "Lambda invocations",
    "Lambda GB-seconds priced",
    "events published",
    "bus-to-bus forwards",
    "SQS requests",
    "DynamoDB write units",
    "DynamoDB read units",
    "log KB (functions)",
    "log KB (event log)",
    "log KB (execution log)",
    "API requests",
    "state transitions",
)
_PREAMBLE = """# Choreography or orchestration

The same six contexts, services and events, run both ways (`sagaStyle`, docs/orchestration.md).
The figures below are written by `benchmarks/styles.py` from one run of each style on the embedded
cloud: the counts are the design's, the times this machine's (compare the two styles, not the
absolute seconds).
"""


@dataclass(frozen=True)
class StyleRun:
    style: str
    orders: int
    p50: float
    p95: float
    events: float  # distinct events on the global bus, per order
    forwards: float  # the global bus's forwards of them to a context's bus, per order
    invocations: float  # function invocations, per order
    by_function: dict[str, float]
    transitions: float  # state transitions, per order
    priced: list[Summary]  # one order of each PRICED scenario, by the cost model

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StyleRun:
        return cls(**{**data, "priced": [Summary.from_json(s) for s in data["priced"]]})


@contextmanager
def deployed(style: str, stack: str) -> Iterator[tuple[Any, Path]]:
    """The stack deployed in this style on a fresh embedded cloud, and where moto records requests."""
    from localcloud import EmbeddedCloud

    recording_path = record_requests(PROJECT_DIR, stack)

    before = os.environ.get("PULUMI_CONFIG")
    # As the Pulumi CLI hands config to a program; the deploy (a subprocess) reads it at start.
    os.environ["PULUMI_CONFIG"] = json.dumps(
        {**json.loads(before or "{}"), f"order-saga:{SAGA_STYLE_CONFIG_KEY}": style}
    )
    try:
        cloud = EmbeddedCloud.start(PROJECT_DIR, stack=stack)
    finally:
        if before is None:
            os.environ.pop("PULUMI_CONFIG", None)
        else:
            os.environ["PULUMI_CONFIG"] = before
    with cloud:
        yield cloud, recording_path


def confirm(saga: SagaTarget) -> tuple[str, float, int]:
    """The order's id, the seconds from its POST until the client sees it CONFIRMED, and how many
    times the client asked (each GET is an invocation of the API's function, not the saga's)."""
    started = time.monotonic()
    customer = f"styles-customer-{uuid.uuid4().hex[:4]}"
    placed = place_order(saga, order_request((SKU, 1)), customer=customer)
    if placed.status != 202:
        raise RuntimeError(f"POST /orders answered {placed.status} {placed.body}")
    order_id = placed.body["orderId"]
    polls = 0
    while (elapsed := time.monotonic() - started) < 120:
        status = get_order(saga, order_id).body["status"]
        polls += 1
        if status == "CONFIRMED":
            return order_id, time.monotonic() - started, polls
        if status == "CANCELLED":
            raise RuntimeError(f"order {order_id} was cancelled")
        # As the latency benchmark looks: every 5% of the time since the POST, at least 50 ms.
        time.sleep(max(0.05, 0.05 * elapsed))
    raise TimeoutError(f"order {order_id} not confirmed after 120 s")


def invocation_lines(cloud: Any) -> dict[str, int]:
    """Per function, how many invocations its metrics hold so far (one line each)."""
    found = {}
    for function in cloud.deployment.functions:
        path = cloud.functions.metrics_path(function.name)
        found[function.logical_name] = len(path.read_text().splitlines()) if path.exists() else 0
    return found


def quiet(cloud: Any, seconds: float = 3.0, timeout: float = 60.0) -> dict[str, int]:
    """The invocation counts once none has been added for `seconds`: compensations and
    notifications trail the confirmation."""
    counts, since, deadline = invocation_lines(cloud), time.monotonic(), time.monotonic() + timeout
    while time.monotonic() - since < seconds and time.monotonic() < deadline:
        time.sleep(0.5)
        latest = invocation_lines(cloud)
        if latest != counts:
            counts, since = latest, time.monotonic()
    return counts


def transitions(saga: SagaTarget, order_id: str) -> int:
    """What Step Functions bills for the order's execution: each state entered, and each retry."""
    return executions.billed_transitions(executions.history(saga, order_id))


def forwards_of(events: list[dict[str, Any]], style: str) -> int:
    """How many context buses the global bus forwarded these events to, as the style routes them."""
    catalog = load_catalog()
    total = 0
    for event in events:
        version = int(event["dataschema"].rsplit("/", 1)[1].removesuffix(".json").removeprefix("v"))
        total += len(forwarded_to(catalog, event["type"], version, style))
    return total


def run(style: str, orders: int, concurrency: int, stack: str) -> StyleRun:
    started = time.monotonic()
    with deployed(style, stack) as (cloud, recording_path):
        print(f"{style}: embedded cloud up in {time.monotonic() - started:.1f}s", flush=True)
        saga = SagaTarget.for_emulator(cloud.outputs, cloud.endpoint_url)
        seed_stock(saga, {SKU: (orders + concurrency) * 2})
        # Warm up at the measured concurrency, so the instances it needs have had their cold start.
        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(lambda _: confirm(saga), range(concurrency)))
        before = quiet(cloud)
        with ThreadPoolExecutor(concurrency) as pool:
            confirmed = list(pool.map(lambda _: confirm(saga), range(orders)))
        after = quiet(cloud)
        latencies = sorted(seconds for _, seconds, _ in confirmed)
        logged = [first_of_each(event_log(saga, order_id)) for order_id, _, _ in confirmed]
        invoked = {name: after[name] - before.get(name, 0) for name in after}
        # The benchmark's own status polls are not the saga's work: the API counts the POST only.
        api = cloud.deployment.function(saga.outputs["order"]["functions"]["api"]).logical_name
        invoked[api] -= sum(polls for _, _, polls in confirmed)
        by_function = {name: count / orders for name, count in invoked.items()}
        # Every instance those orders needed is warm: the priced orders carry no cold start.
        seed_stock(saga, STOCK)
        priced = [Summary.of(usage) for usage in play_and_price(cloud, saga, recording_path, PRICED)]
        return StyleRun(
            style=style,
            orders=orders,
            p50=statistics.median(latencies),
            p95=latencies[int(0.95 * (len(latencies) - 1))],
            events=statistics.mean(len(events) for events in logged),
            forwards=statistics.mean(forwards_of(events, style) for events in logged),
            invocations=sum(by_function.values()),
            by_function={name: count for name, count in sorted(by_function.items()) if count},
            transitions=statistics.mean(transitions(saga, order_id) for order_id, _, _ in confirmed),
            priced=priced,
        )


def cost_table(runs: list[StyleRun]) -> list[str]:
    """$ per million orders by component: one column per style and priced order, and the total."""
    columns = _columns(runs)
    present = {component for _, summary in columns for component in summary.usd}
    components = [*COST_ROWS, *sorted((set(COMPONENTS) | present) - set(COST_ROWS))]
    return [
        _row("$ per million orders", [_heading(style, summary) for style, summary in columns]),
        _row("---", ["---:" for _ in columns]),
        *[_row(c, [f"${summary.usd.get(c, 0.0):.2f}" for _, summary in columns]) for c in components],
        _row("**total**", [f"**${summary.total:.2f}**" for _, summary in columns]),
    ]


def count_table(runs: list[StyleRun]) -> list[str]:
    columns = _columns(runs)
    return [
        _row("one order asks", [_heading(style, summary) for style, summary in columns]),
        _row("---", ["---:" for _ in columns]),
        *[_row(name, [f"{summary.counts.get(name, 0):.3g}" for _, summary in columns]) for name in COUNT_ROWS],
    ]


def difference(runs: list[StyleRun], scenario: str) -> str:
    """What the second style's order costs more (+) or less (-) than the first's, component by
    component, largest first: where the styles part."""
    first, second = (next(s for s in r.priced if s.scenario == scenario) for r in runs[:2])
    changes = {c: second.usd.get(c, 0.0) - first.usd.get(c, 0.0) for c in {*first.usd, *second.usd}}
    named = [
        f"{c} {change:+.2f}"
        for c, change in sorted(changes.items(), key=lambda kv: -abs(kv[1]))
        if abs(change) >= 0.005
    ]
    return f"{', '.join(named)}; in all {second.total - first.total:+.2f}"


def _heading(style: str, summary: Summary) -> str:
    return f"{style}, {summary.scenario} ({summary.status})"


def _columns(runs: list[StyleRun]) -> list[tuple[str, Summary]]:
    """Each priced order of each style, the styles side by side for each scenario."""
    return [(run.style, run.priced[index]) for index in range(len(runs[0].priced)) for run in runs]


def _row(label: str, cells: list[str]) -> str:
    return f"| {label} | " + " | ".join(cells) + " |"


def table(runs: list[StyleRun], concurrency: int, stack: str) -> str:
    confirmed = [next(s for s in r.priced if s.status == "CONFIRMED") for r in runs]
    lines = [
        _row("per happy-path order", [r.style for r in runs]),
        _row("---", ["---:" for _ in runs]),
        _row("POST → CONFIRMED p50", [f"{r.p50:.2f} s" for r in runs]),
        _row("POST → CONFIRMED p95", [f"{r.p95:.2f} s" for r in runs]),
        _row("events on the global bus", [f"{r.events:.1f}" for r in runs]),
        _row("their forwards to a context's bus", [f"{r.forwards:.1f}" for r in runs]),
        _row("function invocations", [f"{r.invocations:.1f}" for r in runs]),
        _row("state transitions", [f"{r.transitions:.1f}" for r in runs]),
        _row("**AWS cost per million confirmed orders**", [f"**${s.total:.2f}**" for s in confirmed]),
    ]
    functions = sorted({name for r in runs for name in r.by_function})
    invoked = [
        _row("invocations per order", [r.style for r in runs]),
        _row("---", ["---:" for _ in runs]),
        *[_row(name, [f"{r.by_function.get(name, 0):.1f}" for r in runs]) for name in functions],
    ]
    price_rows = [f"| {name} | {price.describe()} | {price.cited()} |" for name, price in PRICES]
    scenarios = " and ".join(f"*{s.title}* ({_lines_of(s.lines)})" for s in PRICED)
    differences = "; ".join(f"*{s.title}*: {difference(runs, s.title)}" for s in PRICED)
    return f"""## Measured

Stack `{stack}` (`Pulumi.{stack}.yaml`), deployed once per style.
{runs[0].orders} orders per style, {concurrency} at a time, after a warm-up; one run each. Invocations count the
API's POST, not the client's status polls.

{chr(10).join(lines)}

## Cost per million orders, by component

After those orders, on the same warm deployment, one order of each of the demo's saga paths
{scenarios},
played alone and priced by the cost model of docs/performance.md (`benchmarks/cost`): every request
it made of AWS counted by kind from moto's request recorder, the functions' metrics and log bytes,
the event log and, under orchestration, the execution's history (each state entered and each retry
is a billed transition) and its log. Lambda duration is the CPU time the warm instances spent on the
order plus each AWS request at an assumed in-region latency (DynamoDB 5 ms; EventBridge, SNS and
Step Functions' StartExecution 20 ms; KMS 10 ms), at the stack's configured memory; EventBridge
counts each event published and each forward to a context's bus (as the style routes them); SQS the
sends to a context's queue, its receives and deletes; a declined order's figure includes its
compensations. One order each: two messages that share a batch, or an instance that opens a data
key, move a figure by a dollar or so. The state machine is Standard (exactly-once execution, its
history kept 90 days); Express bills by request and duration instead and is not measured here.
Prices: AWS list prices, {prices.REGION}, on demand, no free tier.

{chr(10).join(cost_table(runs))}

{runs[1].style.capitalize()} against {runs[0].style}, $ per million orders: {differences}.

{chr(10).join(count_table(runs))}

| price | list price | source |
|---|---|---|
{chr(10).join(price_rows)}

{chr(10).join(invoked)}
"""


def _lines_of(lines: tuple[tuple[str, int], ...]) -> str:
    return ", ".join(f"{quantity} {sku}" for sku, quantity in lines)


OPERATOR_VIEW = """## What an operator sees when an order fails

- **Choreography**: the order's timeline (`GET /orders/{id}`) and the global bus's event log
  (`./run ops order ID`) hold every fact in order: `payment.declined`, then `order.cancelled`, then
  each compensation's event (`inventory.released`, ...). Why it failed is the failure event's
  `reason`; who reacted is read from which events followed. A participant that never answered
  shows as a missing event, and its queue's dead letters (`./run ops dlq`) hold what it could not
  take.
- **Orchestration**: the same events and timeline (every task publishes its context's outcome),
  and beside them the execution's history (`aws stepfunctions get-execution-history`, execution
  name = order id): each state entered, each retry with its error, the Catch that fired with the
  error's name and cause at `$.failure`, and the compensations run, newest first. A task that kept
  failing is one execution FAILED with its error, not a message in a dead-letter queue; the
  execution log group (ERROR level, without execution data) lists failed executions.

## Which contexts know of which others

- **Choreography**: no context names another. Each consumes events by type from the catalog
  (`contracts/catalog.yaml`): inventory knows `order.placed`, payment knows `inventory.reserved`,
  shipping and loyalty know `payment.captured`, the order knows every outcome. The order of the
  saga lives in those subscriptions, spread over the contexts.
- **Orchestration**: the state machine (the order context's `OrderOrchestrator`) knows every
  step's context and task, and the order of steps and compensations, in one definition built from
  the catalog's `orchestration` section. The participants know none of the others, nor the state
  machine: a task is called with the saga's state and answers, or raises a named business failure.
  They still consume the compensating events (`order.cancelled`, `payment.refunded`) so a
  customer's cancel or the sweeper's TIMEOUT reaches them as in choreography.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--stack", default="prod", help="the stack deployed (prod: docs/performance.md's)")
    parser.add_argument("--write-docs", action="store_true", help=f"rewrite {DOC.relative_to(PROJECT_DIR)}")
    parser.add_argument("--save", type=Path, help="keep the run's figures as JSON")
    parser.add_argument("--load", type=Path, help="no run: the figures a --save kept, written again")
    args = parser.parse_args()

    if args.load:
        saved = json.loads(args.load.read_text())
        runs = [StyleRun.from_json(entry) for entry in saved["runs"]]
        concurrency, stack = saved["concurrency"], saved["stack"]
    else:
        # An embedded cloud of its own: a `./run up` of the same stack keeps running beside it.
        os.environ.setdefault(INSTANCE_VARIABLE, "styles")
        runs = [run(style, args.orders, args.concurrency, args.stack) for style in SAGA_STYLES]
        concurrency, stack = args.concurrency, args.stack
    if args.save:
        saved = {"concurrency": concurrency, "stack": stack, "runs": [asdict(r) for r in runs]}
        args.save.write_text(json.dumps(saved, indent=2) + "\n")
    body = table(runs, concurrency, stack)
    print(body)
    if args.write_docs:
        write_section("styles", body + "\n" + OPERATOR_VIEW, doc=DOC, preamble=_PREAMBLE)
        print(f"wrote {DOC}")


if __name__ == "__main__":
    main()
