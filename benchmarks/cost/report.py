"""The cost model's figures: printed, saved as JSON (to compare a later run with), and in docs/performance.md."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from benchmarks.cost import prices
from benchmarks.cost.usage import OrderUsage

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
        "log KB (event log)": units("CloudWatch Logs", what="event log") / 1024,
        "API requests": units("API Gateway"),
        "SNS publishes": units("SNS"),
    }


def retire_order_placed_v1(usage: OrderUsage) -> float:
    """The order's cost once order.placed v1 is retired (issue 9, another branch): payment and
    shipping then read v2, so every delivery stays (v2 is forwarded to them instead); what goes is
    v1's publish, its outbox and timeline items, and its event log and archive bytes."""
    return sum(
        c.usd_per_million_orders
        for c in usage.charges
        if not ("event:order.placed/v1" in c.tags and "delivered" not in c.tags)
    )


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
        before_text = f"   (before {was.counts.get(name, 0):g})" if was else ""
        out.append(f"  {name:<36} {value:10.2f}{before_text}")
    out.append("")
    out.append(
        f"lever not taken here (issue 9 retires it): order.placed v1 retired -> "
        f"${retire_order_placed_v1(happy):.2f} per million confirmed orders "
        f"(from ${confirmed.total:.2f}: one publish, its outbox and timeline items, its log and archive bytes)"
    )
    return out


def markdown(summaries: list[Summary], happy: OrderUsage, before: list[Summary] | None, command: str) -> str:
    previous = {s.scenario: s for s in before or []}
    confirmed = next(s for s in summaries if s.scenario == CONFIRMED_PATH)
    was = previous.get(CONFIRMED_PATH)
    rows = []
    for component in COMPONENTS:
        now = confirmed.usd.get(component, 0.0)
        before_cell = f" ${was.usd.get(component, 0.0):.2f} |" if was else ""
        rows.append(f"| {component} |{before_cell} ${now:.2f} | {now / confirmed.total:.0%} |")
    before_head, before_rule = (" before |", "---:|") if was else ("", "")
    total_before = f" **${was.total:.2f}** |" if was else ""
    count_rows = [
        f"| {name} |" + (f" {was.counts.get(name, 0):g} |" if was else "") + f" {value:g} |"
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
            " is this machine's measured duration at the stack's configured memory: AWS's will differ"
            " (a round trip to moto is slower than to DynamoDB). Cold starts are left out."
            + (" *Before* is the same run on the code before the reductions below." if was else ""),
            "",
            f"**A confirmed order: ${confirmed.total:.2f} per million** (target ≤ ${TARGET_USD:.0f}).",
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
            f"Retiring `order.placed` v1 (issue 9, not done here) would bring a confirmed order to"
            f" **${retire_order_placed_v1(happy):.2f}** per million: one publish, its outbox and timeline items"
            " and its log and archive bytes go; every delivery stays, since payment and shipping then read v2.",
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
