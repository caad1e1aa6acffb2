"""Choreography against orchestration: one run of each saga style on the embedded cloud, side by side.

Deploys the dev stack once per style (`sagaStyle`), places N happy-path orders a few at a time, and
counts what each order took: POST → CONFIRMED (p50, p95), the events on the global bus and the
bus-to-bus forwards its rules made of them, the function invocations, and the state machine's
transitions (retries included, as Step Functions bills them). From those counts, the list-price
cost per million orders (benchmarks/cost/prices.py). Writes docs/choreography-vs-orchestration.md.

    .venv/bin/python -m benchmarks.styles [--orders 20] [--concurrency 2] [--write-docs]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.cost import prices
from benchmarks.report import write_section
from components.settings import SAGA_STYLE_CONFIG_KEY, SAGA_STYLES
from contracts import load_catalog
from saga_client import SagaTarget
from saga_client.operations import event_log, first_of_each, get_order, place_order, seed_stock
from saga_client.orders import order_request

PROJECT_DIR = Path(__file__).resolve().parents[1]
DOC = PROJECT_DIR / "docs" / "choreography-vs-orchestration.md"
SKU = "STYLES-MUG"
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

    def cost_per_million(self) -> dict[str, float]:
        million = 1_000_000
        return {
            "Lambda requests": prices.LAMBDA_REQUEST.of(self.invocations * million),
            "EventBridge events": prices.EVENTBRIDGE_EVENT.of((self.events + self.forwards) * million),
            "Step Functions transitions": prices.STEP_FUNCTIONS_TRANSITION.of(self.transitions * million),
        }


@contextmanager
def deployed(style: str) -> Iterator[Any]:
    from localcloud import EmbeddedCloud

    before = os.environ.get("PULUMI_CONFIG")
    # As the Pulumi CLI hands config to a program; the deploy (a subprocess) reads it at start.
    os.environ["PULUMI_CONFIG"] = json.dumps(
        {**json.loads(before or "{}"), f"order-saga:{SAGA_STYLE_CONFIG_KEY}": style}
    )
    try:
        cloud = EmbeddedCloud.start(PROJECT_DIR, stack="dev")
    finally:
        if before is None:
            os.environ.pop("PULUMI_CONFIG", None)
        else:
            os.environ["PULUMI_CONFIG"] = before
    with cloud:
        yield cloud


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
    orchestrator = saga.outputs.get("orchestrator")
    if not orchestrator:
        return 0
    arn = orchestrator["stateMachineArn"].replace(":stateMachine:", ":execution:") + f":{order_id}"
    events: list[dict[str, Any]] = []
    for page in saga.client("stepfunctions").get_paginator("get_execution_history").paginate(executionArn=arn):
        events += page["events"]
    kinds = Counter(event["type"] for event in events)
    entered = sum(count for kind, count in kinds.items() if kind.endswith("StateEntered"))
    retries = kinds["LambdaFunctionScheduled"] + kinds["TaskScheduled"] - kinds["TaskStateEntered"]
    return entered + max(0, retries)


def forwards_of(events: list[dict[str, Any]], style: str) -> int:
    """How many context buses the global bus forwarded these events to, as the style routes them."""
    catalog = load_catalog()
    routed = {context: {(e.type, e.version) for e in catalog.routed_to(context, style)} for context in catalog.contexts}
    total = 0
    for event in events:
        version = int(event["dataschema"].rsplit("/", 1)[1].removesuffix(".json").removeprefix("v"))
        total += sum((event["type"], version) in keys for keys in routed.values())
    return total


def run(style: str, orders: int, concurrency: int) -> StyleRun:
    started = time.monotonic()
    with deployed(style) as cloud:
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
        )


def table(runs: list[StyleRun], concurrency: int) -> str:
    def row(label: str, cells: list[str]) -> str:
        return f"| {label} | " + " | ".join(cells) + " |"

    costs = [r.cost_per_million() for r in runs]
    lines = [
        row("per happy-path order", [r.style for r in runs]),
        row("---", ["---:" for _ in runs]),
        row("POST → CONFIRMED p50", [f"{r.p50:.2f} s" for r in runs]),
        row("POST → CONFIRMED p95", [f"{r.p95:.2f} s" for r in runs]),
        row("events on the global bus", [f"{r.events:.1f}" for r in runs]),
        row("their forwards to a context's bus", [f"{r.forwards:.1f}" for r in runs]),
        row("function invocations", [f"{r.invocations:.1f}" for r in runs]),
        row("state transitions", [f"{r.transitions:.1f}" for r in runs]),
        *[row(f"{name}, per million orders", [f"${c[name]:.2f}" for c in costs]) for name in costs[0]],
        row("**these, per million orders**", [f"**${sum(c.values()):.2f}**" for c in costs]),
    ]
    functions = sorted({name for r in runs for name in r.by_function})
    invoked = [
        row("invocations per order", [r.style for r in runs]),
        row("---", ["---:" for _ in runs]),
        *[row(name, [f"{r.by_function.get(name, 0):.1f}" for r in runs]) for name in functions],
    ]
    price_notes = "\n".join(
        f"- {p.describe()} ({p.source})"
        for p in (prices.LAMBDA_REQUEST, prices.EVENTBRIDGE_EVENT, prices.STEP_FUNCTIONS_TRANSITION)
    )
    return f"""## Measured

{runs[0].orders} orders per style, {concurrency} at a time, after a warm-up; one run each. Invocations
count the API's POST, not the client's status polls.

{chr(10).join(lines)}

Prices: AWS list prices, {prices.REGION}, on demand, no free tier, looked up {prices.LOOKED_UP}
(Step Functions 2026-12-03):

{price_notes}

The cost rows price only what differs in kind between the styles: Lambda requests, EventBridge
events (each event published on the global bus, and each forward to a context's bus, is billed as a
custom event) and state transitions. Lambda duration, DynamoDB, SQS and logs are priced for the
choreographed order by `benchmarks/cost` (docs/performance.md); the orchestrated order does the same
writes through the same services, while its steps are synchronous invocations instead of queue
receives.

{chr(10).join(invoked)}
"""


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
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--write-docs", action="store_true", help=f"rewrite {DOC.relative_to(PROJECT_DIR)}")
    args = parser.parse_args()

    runs = [run(style, args.orders, args.concurrency) for style in SAGA_STYLES]
    body = table(runs, args.concurrency)
    print(body)
    if args.write_docs:
        write_section("styles", body + "\n" + OPERATOR_VIEW, doc=DOC, preamble=_PREAMBLE)
        print(f"wrote {DOC}")


if __name__ == "__main__":
    main()
