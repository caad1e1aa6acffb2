"""The cost model's figures: printed, saved as JSON (to compare a later run with), and in docs/performance.md."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
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
            c.units for c in charges if c.component == "CloudWatch Logs" and c.what != "event log"
        )
        / 1024,
        "of them Lambda's START/END/REPORT": units("CloudWatch Logs", tag="log:platform") / 1024,
        "log KB (event log)": units("CloudWatch Logs", what="event log") / 1024,
        "API requests": units("API Gateway"),
        "SNS publishes": units("SNS"),
        "KMS requests": units("KMS"),
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
        "system log level WARN (LoggingConfig.SystemLogLevel)",
        "Lambda's START/END/REPORT records go; the embedded cloud does not model the setting yet and the cost "
        "model counts invocations from those lines",
        lambda c: "log:platform" not in c.tags,
    ),
    Lever(
        "global-bus rules target each context's queue, no private buses",
        "a design change (DESIGN.md section 3 routes through a private bus per context)",
        lambda c: not (c.component == "EventBridge" and "delivered" in c.tags),
    ),
)


# The levers taken, each one's effect read off the counts it changes (before minus now, priced).
LEVERS_TAKEN = (
    (
        "idempotency records only where a handler's own conditional writes do not already suffice",
        "of them idempotency records",
        prices.DYNAMODB_WRITE_UNIT,
        1.0,
    ),
    (
        "fewer writes in the orders table: a published event's timeline entry is its outbox item; "
        "an order change without events is a conditional put, not a one-item transaction",
        "of them the orders table",
        prices.DYNAMODB_WRITE_UNIT,
        1.0,
    ),
    (
        "production stack logs at WARN, 1% of invocations sampled at DEBUG (Pulumi.prod.yaml)",
        "log KB (functions)",
        prices.CLOUDWATCH_LOGS_INGESTION,
        1024.0,
    ),
)


def lever_effects(before: Summary, now: Summary) -> list[tuple[str, float, float, str]]:
    """Each lever taken: its name, the count before and now, and the change in $ per million orders."""
    effects = []
    for name, count, price, unit_scale in LEVERS_TAKEN:
        was, is_now = before.counts.get(count, 0.0), now.counts.get(count, 0.0)
        saved = price.of((was - is_now) * unit_scale) * 1_000_000
        effects.append((name, was, is_now, f"{count}: {was:.3g} -> {is_now:.3g}, -${saved:.2f}"))
    return effects


def all_levers(usage: OrderUsage) -> float:
    return sum(c.usd_per_million_orders for c in usage.charges if all(lever.keeps(c) for lever in LEVERS_NOT_TAKEN))


def lines(summaries: list[Summary], happy: OrderUsage, before: list[Summary] | None) -> list[str]:
    out = ["== cost per million orders, AWS list prices (us-east-1, looked up " + prices.LOOKED_UP + ") =="]
    out += [f"  {name:<40} {price.describe():<48} {price.source}" for name, price in PRICES]
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
    if was:
        out.append("levers taken, each one's measured effect on a confirmed order:")
        out += [f"  {name}\n      {effect}" for name, _, _, effect in lever_effects(was, confirmed)]
        out.append(
            "  DeleteMessageBatch: Lambda's SQS poller already deletes a batch in one request (and so does the"
            " embedded cloud); no change"
        )
        out.append("")
    out.append(f"levers not taken here, computed from these charges (from ${confirmed.total:.2f}):")
    for lever in LEVERS_NOT_TAKEN:
        out.append(f"  {lever.name:<66} -> ${lever.cost(happy):6.2f}  ({lever.why_not_here})")
    out.append(f"  {'both':<66} -> ${all_levers(happy):6.2f}")
    return out


def markdown(
    summaries: list[Summary], happy: OrderUsage, before: list[Summary] | None, command: str, stack: str
) -> str:
    previous = {s.scenario: s for s in before or []}
    confirmed = next(s for s in summaries if s.scenario == CONFIRMED_PATH)
    was = previous.get(CONFIRMED_PATH)
    met = confirmed.total <= TARGET_USD
    verdict = "met" if met else "missed; the levers not taken, below, show what would close the gap"
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
    price_rows = [f"| {name} | {price.describe()} | {price.source} |" for name, price in PRICES]
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
                " *Before*: the same model run on the code before the reductions below (`--before`;"
                " `benchmarks/cost/baseline.json` holds commit 220f2d7's, on the dev stack, then the only one)."
                " *Now* also carries issue 9's changes, merged meanwhile: `order.placed` v1 retired (payment"
                " and shipping read v3) and the payment token and address sealed with KMS (the KMS line)."
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
            *(
                [
                    "Levers taken, each one's effect measured on a confirmed order (counts before and now):",
                    "",
                    "| lever | effect |",
                    "|---|---|",
                    *[f"| {name} | {effect} |" for name, _, _, effect in lever_effects(was, confirmed)],
                    "| batch deletes | none: Lambda's SQS poller already deletes each batch with one"
                    " DeleteMessageBatch (the embedded cloud does too) |",
                    "",
                ]
                if was
                else []
            ),
            f"Levers not taken here, each computed from the charges measured above (a confirmed order,"
            f" now ${confirmed.total:.2f}):",
            "",
            "| lever | $ per million confirmed orders | why not here |",
            "|---|---:|---|",
            *[f"| {lever.name} | ${lever.cost(happy):.2f} | {lever.why_not_here} |" for lever in LEVERS_NOT_TAKEN],
            f"| both | ${all_levers(happy):.2f} | |",
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
