"""The soak's figures: printed last, each target of issue 7 beside its figure, and in docs/performance.md."""

from __future__ import annotations

import os
import platform
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from benchmarks.soak.ceiling import Ceiling
from benchmarks.soak.order_mix import OrderMix
from benchmarks.soak.orders import Phase

DOCS_START = "<!-- soak:start -->"
DOCS_END = "<!-- soak:end -->"


@dataclass(frozen=True)
class Target:
    name: str
    figure: str
    met: bool | None  # None: not measured in this run

    @property
    def verdict(self) -> str:
        return "n/a" if self.met is None else "PASS" if self.met else "MISS"


@dataclass(frozen=True)
class SoakFigures:
    command: str
    orders_per_concurrency: int
    mix: OrderMix
    ceiling: Ceiling
    phases: list[Phase]
    moto_rss_start_kb: int
    moto_rss_end_kb: int

    @property
    def orders_placed(self) -> int:
        return sum(len(phase.outcomes) for phase in self.phases)

    @property
    def kb_per_order(self) -> float:
        return (self.moto_rss_end_kb - self.moto_rss_start_kb) / max(1, self.orders_placed)

    def fraction_of_ceiling(self, phase: Phase) -> float:
        ceiling = self.ceiling.orders_per_second
        return phase.orders_per_second / ceiling if ceiling else 0.0

    def phase(self, concurrency: int) -> Phase | None:
        return next((p for p in self.phases if p.concurrency == concurrency), None)

    def targets(self) -> list[Target]:
        drifting = [p for p in self.phases if p.last_vs_first() is not None]
        worst = min(drifting, key=lambda p: p.last_vs_first() or 0.0) if drifting else None
        worst_ratio = worst.last_vs_first() if worst else None
        widest = self.phase(16)
        single = self.phase(1)
        single_p50 = single.latency_percentile(0.5) if single else None
        return [
            Target("moto memory per order <= 200 KB", f"{self.kb_per_order:.0f} KB", self.kb_per_order <= 200),
            Target(
                "last 100 orders >= 90% as fast as the first 100",
                f"{worst_ratio:.2f} (worst: concurrency {worst.concurrency}, {worst.window} each)"
                if worst and worst_ratio
                else "-",
                None if worst_ratio is None else worst_ratio >= 0.9,
            ),
            Target(
                "concurrency 16 >= 70% of the emulator ceiling",
                f"{self.fraction_of_ceiling(widest):.0%}" if widest else "-",
                None if widest is None else self.fraction_of_ceiling(widest) >= 0.7,
            ),
            Target(
                "p50 POST -> CONFIRMED at concurrency 1 <= 0.5 s",
                _seconds(single_p50),
                None if single_p50 is None else single_p50 <= 0.5,
            ),
        ]

    def lines(self) -> list[str]:
        ceiling = self.ceiling
        lines = [
            f"== soak: {self.orders_per_concurrency} orders at each concurrency on a fresh embedded cloud "
            f"({os.cpu_count()} cores, moto {version('moto')}) ==",
            f"one order asks moto {self.mix.describe()}",
            f"emulator ceiling: {ceiling.orders_per_second:.2f} orders/s ({ceiling.replays} replays of one order "
            f"from {ceiling.threads} threads in {ceiling.seconds:.1f}s, {ceiling.requests_per_second:.0f} requests/s; "
            f"moto {ceiling.moto_cpu_seconds / ceiling.seconds:.0%} of a core, "
            f"replay client {ceiling.client_cpu_seconds / ceiling.seconds:.0%})",
            f"  replay check: replayed order {ceiling.replayed_order_status}; "
            f"errors {_counts(ceiling.warmup_errors.errors + ceiling.tally.errors)}; "
            f"retried {_counts(ceiling.tally.retried)}; "
            f"short receives {ceiling.tally.short_receives}; messages left in queues {ceiling.left_in_queues}",
        ]
        for phase in self.phases:
            failed = len(phase.outcomes) - len(phase.confirmed)
            ratio = phase.last_vs_first()
            lines.append(
                f"concurrency {phase.concurrency:>2}: {phase.orders_per_second:.2f} orders/s "
                f"= {self.fraction_of_ceiling(phase):.0%} of ceiling; POST -> CONFIRMED "
                f"p50 {_seconds(phase.latency_percentile(0.5))}, p95 {_seconds(phase.latency_percentile(0.95))}; "
                f"last/first {phase.window}: {'-' if ratio is None else f'{ratio:.2f}'}; "
                f"{phase.gets_per_order:.1f} GETs/order; {phase.refused} answers throttled or timed out; "
                f"CPU: moto {phase.moto_cpu_seconds / phase.seconds:.0%} of a core, "
                f"functions {phase.functions_cpu_seconds / phase.seconds:.0%} "
                f"({1000 * phase.functions_cpu_seconds / max(1, len(phase.outcomes)):.0f} ms an order), "
                f"host and client {phase.host_cpu_seconds / phase.seconds:.0%}"
                + (f"; {failed} NOT CONFIRMED ({_problems(phase)})" if failed else "")
            )
        lines.append(
            f"moto RSS: {self.moto_rss_start_kb / 1024:.0f} MB at start, {self.moto_rss_end_kb / 1024:.0f} MB at end: "
            f"{self.kb_per_order:.0f} KB per order over {self.orders_placed} orders"
        )
        lines.append("targets (issue 7, on 2 cores):")
        targets = self.targets()
        name_width, figure_width = max(len(t.name) for t in targets), max(len(t.figure) for t in targets)
        lines += [f"  {t.name:<{name_width}}  {t.figure:<{figure_width}}  {t.verdict}" for t in targets]
        return lines

    def markdown(self) -> str:
        ceiling = self.ceiling
        rows = [
            f"| {p.concurrency} | {p.orders_per_second:.2f} | {self.fraction_of_ceiling(p):.0%} | "
            f"{_seconds(p.latency_percentile(0.5))} | {_seconds(p.latency_percentile(0.95))} | "
            f"{_ratio(p.last_vs_first())} ({p.window}) | {len(p.outcomes) - len(p.confirmed)} |"
            for p in self.phases
        ]
        targets = [f"| {t.name} | {t.figure} | {t.verdict} |" for t in self.targets()]
        mix = self.mix.requests_by_operation()
        return "\n".join(
            [
                "## Soak",
                "",
                f"`{self.command}` on {datetime.now(UTC):%Y-%m-%d}, {os.cpu_count()} cores, "
                f"Python {platform.python_version()}, moto {version('moto')}: one fresh embedded cloud, "
                f"{self.orders_per_concurrency} happy-path orders at each concurrency. Emulator figures, not AWS's.",
                "",
                f"**Emulator ceiling: {ceiling.orders_per_second:.2f} orders/s.** One order asks moto "
                f"{self.mix.request_count} requests ({_counts(mix)}); the pollers' idle reads are left out "
                f"({_counts(self.mix.left_out)} in the recording). Replayed {ceiling.replays} times from "
                f"{ceiling.threads} threads against a moto server with the program deployed and no functions, "
                f"fresh ids each time ({ceiling.requests_per_second:.0f} requests/s; "
                f"errors: {_counts(ceiling.warmup_errors.errors + ceiling.tally.errors)}; "
                f"retried: {_counts(ceiling.tally.retried)}).",
                "",
                "| concurrency | orders/s | of ceiling | p50 POST → CONFIRMED | p95 | last/first (window) | failed |",
                "|---|---|---|---|---|---|---|",
                *rows,
                "",
                f"moto RSS {self.moto_rss_start_kb / 1024:.0f} MB at start, {self.moto_rss_end_kb / 1024:.0f} MB "
                f"at end: {self.kb_per_order:.0f} KB per order over {self.orders_placed} orders.",
                "",
                "| target (issue 7, 2 cores) | measured | |",
                "|---|---|---|",
                *targets,
            ]
        )


def write_docs(path: Path, section: str) -> None:
    """Put the section between the soak's markers, leaving the rest of the file as it is."""
    block = f"{DOCS_START}\n{section}\n{DOCS_END}"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# Performance\n\nFigures printed by the scripts in `benchmarks/`.\n\n{block}\n")
        return
    text = path.read_text()
    start, end = text.find(DOCS_START), text.find(DOCS_END)
    if start != -1 and end > start:
        text = text[:start] + block + text[end + len(DOCS_END) :]
    else:
        text = text.rstrip("\n") + f"\n\n{block}\n"
    path.write_text(text)


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} s"


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _counts(counts: Counter[str]) -> str:
    return ", ".join(f"{n} {name}" for name, n in counts.most_common()) or "none"


def _problems(phase: Phase) -> str:
    """Why orders were not confirmed, most frequent first: the lead for whoever investigates."""
    reasons = Counter(re.sub(r"\d+", "N", o.problem or "") for o in phase.outcomes if o.latency is None)
    return ", ".join(f"{count}x {reason}" for reason, count in reasons.most_common(4))
