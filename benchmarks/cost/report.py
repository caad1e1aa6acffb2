"""The cost model's figures: printed, saved as JSON (to compare a later run with), and in docs/performance.md."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.cost import prices
from benchmarks.cost.usage import Charge, OrderUsage

COMPONENTS = (
    "DynamoDB writes",
    "DynamoDB reads",
    "EventBridge",
    "EventBridge archive",
    "SQS",
    "Lambda requests",
    "Lambda duration",
    "CloudWatch Logs",
    "API Gateway",
    "SNS",
    "KMS",
    "Step Functions",
)
CONFIRMED_PATH = "happy path"
TARGET_USD = 60.0
PRICES = (
    ("DynamoDB write", prices.DYNAMODB_WRITE_UNIT),
    ("DynamoDB read", prices.DYNAMODB_READ_UNIT),
    ("EventBridge event / bus-to-bus forward", prices.EVENTBRIDGE_EVENT),
    ("EventBridge archive", prices.EVENTBRIDGE_ARCHIVE),
    ("SQS request", prices.SQS_REQUEST),
    ("Lambda request", prices.LAMBDA_REQUEST),
    ("Lambda duration", prices.LAMBDA_GB_SECOND),
    ("CloudWatch Logs ingestion", prices.CLOUDWATCH_LOGS_INGESTION),
    ("HTTP API request", prices.HTTP_API_REQUEST),
    ("SNS publish", prices.SNS_PUBLISH),
    ("KMS request", prices.KMS_REQUEST),
    ("Step Functions state transition", prices.STEP_FUNCTIONS_TRANSITION),
)


@dataclass(frozen=True)
class Summary:
    """One order's figures, as saved to JSON: per component, $ per million orders and units."""

    scenario: str
    status: str
    usd: dict[str, float]
    counts: dict[str, float]

    @property
    def total(self) -> float:
        return sum(self.usd.values())

    @classmethod
    def of(cls, usage: OrderUsage) -> Summary:
        return cls(usage.scenario, usage.status, dict(usage.by_component()), counts(usage))

    def to_json(self) -> dict[str, Any]:
        return {"scenario": self.scenario, "status": self.status, "usd": self.usd, "counts": self.counts}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Summary:
        return cls(data["scenario"], data["status"], data["usd"], data["counts"])


def counts(usage: OrderUsage) -> dict[str, float]:
    """The per-order quantities behind the dollars, named as the issue names them."""
    charges = usage.charges

    def units(component: str, *, tag: str | None = None, what: str | None = None) -> float:
        return sum(
            c.units
            for c in charges
            if c.component == component and (tag is None or tag in c.tags) and (what is None or c.what == what)
        )

    return {
        "DynamoDB write units": units("DynamoDB writes"),
        "of them idempotency records": units("DynamoDB writes", tag="idempotency"),
        "of them the orders table": sum(
            c.units for c in charges if c.component == "DynamoDB writes" and c.what.startswith("order-orders")
        ),
        "DynamoDB read units": units("DynamoDB reads"),
        "events published": units("EventBridge", tag="published"),
        "bus-to-bus forwards": units("EventBridge", tag="delivered"),
        "SQS requests": units("SQS"),
        "Lambda invocations": units("Lambda requests"),
        "Lambda GB-seconds priced": units("Lambda duration"),
        "Lambda GB-seconds, wall clock here": usage.wall_clock_gb_seconds,
        "log KB (functions)": sum(
            c.units
            for c in charges
            if c.component == "CloudWatch Logs" and c.what not in ("event log", "execution log")
        )
        / 1024,
        "of them Lambda's START/END/REPORT": units("CloudWatch Logs", tag="log:platform") / 1024,
        "log KB (event log)": units("CloudWatch Logs", what="event log") / 1024,
        "log KB (execution log)": units("CloudWatch Logs", what="execution log") / 1024,
        "API requests": units("API Gateway"),
        "SNS publishes": units("SNS"),
        "KMS requests": units("KMS"),
        "state transitions": units("Step Functions"),
    }


@dataclass(frozen=True)
class Lever:
    """A way to lower the cost not taken on this branch, its effect computed from the measured charges."""

    name: str
    why_not_here: str
    keeps: Callable[[Charge], bool]

    def cost(self, usage: OrderUsage) -> float:
        return sum(c.usd_per_million_orders for c in usage.charges if self.keeps(c))


LEVERS_NOT_TAKEN = (
    Lever(
        "global-bus rules target each context's queue, no private buses",
        "a design change (DESIGN.md section 3 routes through a private bus per context): for the lead to decide",
        lambda c: not (c.component == "EventBridge" and "delivered" in c.tags),
    ),
)

# Lambda gives a function CPU in proportion to its memory: one vCPU at 1,769 MB
# (docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html). The model prices the CPU time
# measured here on a whole core; below 1,769 MB the same work takes 1769/memory times as long.
FULL_VCPU_MB = 1769


def duration_at_cpu_share(usage: OrderUsage, memory_mb: int) -> float:
    """The order's Lambda duration in $ per million if its CPU work ran at the memory's CPU share."""
    scale = max(1.0, FULL_VCPU_MB / memory_mb)
    return sum(
        c.usd_per_million_orders * (scale if c.what.endswith(" CPU") else 1.0)
        for c in usage.charges
        if c.component == "Lambda duration"
    )


LEVERS_DIR = Path(__file__).resolve().parent / "levers"
# The levers taken, in order. Each file holds the figures `--save` wrote once that lever was in (prod
# stack); the first is the code before any of them. Their figures are in docs/performance.md.
LEVER_STEPS = (
    (
        "0-before-levers.json",
        "before: each sealed value its own KMS request; Lambda's START/END/REPORT lines logged",
    ),
    (
        "1-data-keys-and-system-log-level.json",
        "a KMS data key per field and instance, 15 min at most (envelope encryption); prod's Lambda system"
        " log level WARN (measured after one warm-up order: one Decrypt by a second instance is left)",
    ),
    (
        "2-order-placed-v2-retired.json",
        "order.placed v2 retired: inventory reads v3, one event announces an order, not two (and two"
        " warm-up orders: a warm instance has opened the data keys)",
    ),
    (
        "3-payment-without-idempotency-record.json",
        "payment's charge keeps no idempotency record: its outcome is announced before it is recorded, so a"
        " settled payment is an announced one and a repeat does nothing",
    ),
    (
        "4-outcomes-marked-announced.json",
        "inventory's reservation, shipping's booking and loyalty's award keep no idempotency record either:"
        " their conditional writes make a twin lose, and the outcome's own record notes its announcement",
    ),
)
# Counts that follow from the others or measure this machine, not the code: left out of "what changed".
_NOT_COMPARED = ("Lambda GB-seconds, wall clock here",)


def lever_steps(now: Summary | None = None) -> list[tuple[str, Summary]]:
    """Each lever's figures for a confirmed order, oldest first, and this run's last if given."""
    steps = []
    for file_name, name in LEVER_STEPS:
        path = LEVERS_DIR / file_name
        if path.exists():
            saved = summaries_from_json(json.loads(path.read_text()))
            steps.append((name, next(s for s in saved if s.scenario == CONFIRMED_PATH)))
    # This run, unless it is the last lever's own (--save into its file).
    if now is not None and not (steps and steps[-1][1].to_json() == now.to_json()):
        steps.append(("this run", now))
    return steps


def changed_counts(was: Summary, now: Summary) -> str:
    changes = [
        f"{name} {was.counts.get(name, 0):.3g} → {value:.3g}"
        for name, value in now.counts.items()
        if name not in _NOT_COMPARED and abs(value - was.counts.get(name, 0)) >= 0.01
    ]
    return "; ".join(changes)


def lines(summaries: list[Summary], happy: OrderUsage, before: list[Summary] | None, memory_mb: int) -> list[str]:
    out = ["== cost per million orders, AWS list prices (us-east-1, looked up " + prices.LOOKED_UP + ") =="]
    out += [f"  {name:<40} {price.describe():<48} {price.cited()}" for name, price in PRICES]
    out.append("")
    out.append("per saga path (one order each), $ per million orders:")
    previous = {s.scenario: s for s in before or []}
    for summary in summaries:
        was = previous.get(summary.scenario)
        out.append(
            f"  {summary.scenario:<32} {summary.status:<10} ${summary.total:7.2f}"
            + (f"   (before: ${was.total:.2f})" if was else "")
        )
    confirmed = next(s for s in summaries if s.scenario == CONFIRMED_PATH)
    was = previous.get(CONFIRMED_PATH)
    out.append("")
    out.append(f"a confirmed order ({CONFIRMED_PATH}), by component, $ per million orders:")
    for component in COMPONENTS:
        now = confirmed.usd.get(component, 0.0)
        share = now / confirmed.total if confirmed.total else 0.0
        before_text = f"   before ${was.usd.get(component, 0.0):6.2f}" if was else ""
        out.append(f"  {component:<22} ${now:6.2f}  {share:4.0%}{before_text}")
    verdict = "PASS" if confirmed.total <= TARGET_USD else "MISS"
    out.append(
        f"  {'total':<22} ${confirmed.total:6.2f}        "
        + (f"   before ${was.total:6.2f}" if was else "")
        + f"   target <= ${TARGET_USD:.0f}: {verdict}"
    )
    out.append("")
    out.append("what a confirmed order asks of AWS:")
    for name, value in confirmed.counts.items():
        before_text = f"   (before {was.counts.get(name, 0):.3g})" if was else ""
        out.append(f"  {name:<36} {value:10.2f}{before_text}")
    out.append("")
    out.append("levers taken, one after the other, each measured on a confirmed order (benchmarks/cost/levers/):")
    steps = lever_steps(confirmed)
    for index, (name, summary) in enumerate(steps):
        change = f"  {summary.total - steps[index - 1][1].total:+7.2f}" if index else ""
        out.append(f"  ${summary.total:6.2f}{change}  {name}")
        if index:
            out.append(f"      {changed_counts(steps[index - 1][1], summary)}")
    out.append(
        "  batch deletes: none left to take; Lambda's SQS poller deletes a processed batch in one"
        " DeleteMessageBatch, as the embedded cloud's mapping does (one per invocation here: one order at a time)"
    )
    out.append("")
    out.append(f"levers not taken here, computed from these charges (from ${confirmed.total:.2f}):")
    for lever in LEVERS_NOT_TAKEN:
        out.append(f"  {lever.name:<66} -> ${lever.cost(happy):6.2f}  ({lever.why_not_here})")
    duration = confirmed.usd.get("Lambda duration", 0.0)
    at_share = duration_at_cpu_share(happy, memory_mb)
    out.append(
        f"  a caveat of the model: at {memory_mb} MB Lambda gives {min(1.0, memory_mb / FULL_VCPU_MB):.2f} vCPU, so the"
        f" CPU part of Lambda duration bills longer than measured on a whole core: ${duration:.2f} -> ${at_share:.2f}"
        f" (total ${confirmed.total - duration + at_share:.2f})"
    )
    return out


def markdown(
    summaries: list[Summary], happy: OrderUsage, before: list[Summary] | None, command: str, stack: str, memory_mb: int
) -> str:
    previous = {s.scenario: s for s in before or []}
    confirmed = next(s for s in summaries if s.scenario == CONFIRMED_PATH)
    was = previous.get(CONFIRMED_PATH)
    met = confirmed.total <= TARGET_USD
    verdict = "met" if met else "missed; the lever not taken, below, shows what would close the gap"
    rows = []
    for component in COMPONENTS:
        now = confirmed.usd.get(component, 0.0)
        before_cell = f" ${was.usd.get(component, 0.0):.2f} |" if was else ""
        rows.append(f"| {component} |{before_cell} ${now:.2f} | {now / confirmed.total:.0%} |")
    before_head, before_rule = (" before |", "---:|") if was else ("", "")
    total_before = f" **${was.total:.2f}** |" if was else ""
    count_rows = [
        f"| {name} |" + (f" {was.counts.get(name, 0):.3g} |" if was else "") + f" {value:.3g} |"
        for name, value in confirmed.counts.items()
    ]
    path_rows = [
        f"| {s.scenario} | {s.status} |"
        + (f" ${previous[s.scenario].total:.2f} |" if s.scenario in previous else (" |" if before else ""))
        + f" ${s.total:.2f} |"
        for s in summaries
    ]
    price_rows = [f"| {name} | {price.describe()} | {price.cited()} |" for name, price in PRICES]
    steps = lever_steps(confirmed)
    step_rows = []
    for index, (name, summary) in enumerate(steps):
        if index == 0:
            step_rows.append(f"| ${summary.total:.2f} | | {name} | |")
            continue
        previous = steps[index - 1][1]
        step_rows.append(
            f"| ${summary.total:.2f} | {summary.total - previous.total:+.2f} | {name} |"
            f" {changed_counts(previous, summary)} |"
        )
    duration = confirmed.usd.get("Lambda duration", 0.0)
    at_share = duration_at_cpu_share(happy, memory_mb)
    return "\n".join(
        [
            "## Cost per million orders",
            "",
            "One order of each saga path played on the embedded cloud; every request it made counted by kind"
            " (moto's request recorder, the functions' REPORT lines and log bytes, the event log), priced at"
            f" AWS list prices (us-east-1, on demand, no free tier, looked up {prices.LOOKED_UP}). Lambda duration"
            " is priced at the stack's configured memory for the CPU time the function instances spent on the"
            " order plus each AWS request they made at an assumed in-region latency (DynamoDB 5 ms, EventBridge"
            " and SNS 20 ms): the wall clock of this shared 2-core machine, waiting on moto, measures the"
            " neighbours more than the code (it is listed below, not priced). Cold starts are left out. The"
            " customer-cancel path depends on when the cancel lands, so its figure moves from run to run."
            + f" Stack `{stack}` (`Pulumi.{stack}.yaml`)."
            + (
                " *Before*: the same model run on the code before the levers below (`--before`, the file"
                " `benchmarks/cost/levers/0-before-levers.json`: each sealed value its own KMS request, Lambda's"
                " START/END/REPORT lines logged; `benchmarks/cost/baseline.json` keeps the older figures of"
                " commit 220f2d7, before the first round of levers)."
                if was
                else ""
            ),
            "",
            f"**A confirmed order: ${confirmed.total:.2f} per million** (target ≤ ${TARGET_USD:.0f}: {verdict}).",
            "",
            f"| component |{before_head} $ per million confirmed orders | share |",
            f"|---|{before_rule}---:|---:|",
            *rows,
            f"| **total** |{total_before} **${confirmed.total:.2f}** | |",
            "",
            f"| one confirmed order asks |{before_head} now |",
            f"|---|{before_rule}---:|",
            *count_rows,
            "",
            f"| saga path | ends |{before_head} $ per million orders |",
            f"|---|---|{before_rule}---:|",
            *path_rows,
            "",
            "Levers taken, one after the other, each measured on a confirmed order (the figures `--save` kept in"
            " `benchmarks/cost/levers/` once the lever was in). SQS requests and invocations that move without"
            " a lever are two of the order's messages that happened to share a batch (a receive, a delete and"
            " an invocation fewer: $1.00); Lambda GB-seconds move a little from run to run:",
            "",
            "| $ per million confirmed orders | change | lever | what a confirmed order asks, before → after |",
            "|---:|---:|---|---|",
            *step_rows,
            "",
            "Batch deletes: none left to take. Lambda's SQS poller deletes the messages of a processed batch with"
            " one DeleteMessageBatch, and so does the embedded cloud's mapping: one per invocation here, where"
            " orders are played one at a time (a batch of one message). Fewer would take fuller batches, that is"
            " a batching window on the mappings, which every hop of the saga would wait out.",
            "",
            f"Levers not taken here, each computed from the charges measured above (a confirmed order,"
            f" now ${confirmed.total:.2f}):",
            "",
            "| lever | $ per million confirmed orders | why not here |",
            "|---|---:|---|",
            *[f"| {lever.name} | ${lever.cost(happy):.2f} | {lever.why_not_here} |" for lever in LEVERS_NOT_TAKEN],
            "",
            f"A caveat of the model: it prices the CPU time measured here on a whole core, but at {memory_mb} MB"
            f" Lambda gives a function {min(1.0, memory_mb / FULL_VCPU_MB):.2f} vCPU (one at {FULL_VCPU_MB} MB), so its"
            f" CPU-bound part bills about {max(1.0, FULL_VCPU_MB / memory_mb):.1f} times as long: Lambda duration"
            f" ${duration:.2f} would be ${at_share:.2f}, a confirmed order ${confirmed.total - duration + at_share:.2f}"
            " per million. Lowering the memory does not help that part (the same CPU-seconds at a smaller share);"
            " it halves only the waiting part at 256 MB, and slows every step and cold start.",
            "",
            "| price | list price | source |",
            "|---|---|---|",
            *price_rows,
            "",
            f"Reproduce: `.venv/bin/python -m {command}`.",
        ]
    )


def detail(usage: OrderUsage) -> list[str]:
    """Every charge of one order, grouped by component and source: where each dollar comes from."""
    grouped: dict[tuple[str, str, str], list[float]] = {}
    for charge in usage.charges:
        kind = next((t for t in sorted(charge.tags) if t.startswith(("op:", "event:"))), "")
        entry = grouped.setdefault((charge.component, charge.what, kind), [0.0, 0.0])
        entry[0] += charge.units
        entry[1] += charge.usd_per_million_orders
    out = [f"the charges of one order ({usage.scenario}): component, source, units, $ per million"]
    for (component, what, kind), (units, usd) in sorted(grouped.items()):
        out.append(f"  {component:<20} {what[-44:]:<44} {kind:<28} {units:10.1f}  ${usd:6.2f}")
    return out


def summaries_from_json(data: Iterable[dict[str, Any]]) -> list[Summary]:
    return [Summary.from_json(entry) for entry in data]
