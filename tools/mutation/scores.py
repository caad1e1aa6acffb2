"""Per-module mutation scores from mutmut's results, net of the survivors we have explained."""

import fnmatch
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

TARGET = 0.95
# A function's mutants are named `<module>.x_<function>__mutmut_<n>`, a method's
# `<module>.xǁ<Class>ǁ<method>__mutmut_<n>`.
_FUNCTION_PART = re.compile(r"\.xǁ|\.x_")
# A listed survivor: its name in backticks, or a glob for all of a function's, `..._compile__mutmut_*`.
_LISTED = re.compile(r"`([^`\s]+__mutmut_[\d*]+)`")
# Found by the tests, though not by an assertion failing: the mutant hung or crashed them.
_CAUGHT = {"killed", "timeout", "segfault", "caught by type check"}


@dataclass
class ModuleScore:
    module: str
    statuses: dict[str, str] = field(default_factory=dict)  # mutant -> mutmut's status
    explained: set[str] = field(default_factory=set)  # survivors the survivors file explains

    @property
    def caught(self) -> int:
        return sum(status in _CAUGHT for status in self.statuses.values())

    @property
    def survivors(self) -> list[str]:
        return sorted(name for name, status in self.statuses.items() if status not in _CAUGHT)

    @property
    def score(self) -> float:
        """Caught among the mutants that could be caught: explained survivors are equivalent."""
        counted = len(self.statuses) - len(self.explained)
        return self.caught / counted if counted else 1.0


def parse_results(lines: Iterable[str]) -> dict[str, str]:
    """mutmut's `results --all true` output: `    <mutant>: <status>` per mutant."""
    statuses = {}
    for line in lines:
        name, separator, status = line.strip().partition(": ")
        if separator and "__mutmut_" in name:
            statuses[name] = status
    return statuses


def listed_survivors(survivors_file: Path) -> set[str]:
    return set(_LISTED.findall(survivors_file.read_text()))


def explains(listed: set[str], mutant: str) -> bool:
    return any(fnmatch.fnmatchcase(mutant, pattern) for pattern in listed)


def module_of(mutant: str) -> str:
    return _FUNCTION_PART.split(mutant, maxsplit=1)[0]


def by_module(statuses: dict[str, str], listed: set[str]) -> list[ModuleScore]:
    modules: dict[str, ModuleScore] = defaultdict(lambda: ModuleScore(""))
    for name, status in statuses.items():
        score = modules[module_of(name)]
        score.module = module_of(name)
        score.statuses[name] = status
        if status not in _CAUGHT and explains(listed, name):
            score.explained.add(name)
    return [modules[name] for name in sorted(modules)]


def table(scores: list[ModuleScore]) -> str:
    rows = [f"{'module':<24} {'mutants':>7} {'caught':>6} {'explained':>9} {'unexplained':>11} {'score':>6}"]
    for s in scores:
        unexplained = len(s.survivors) - len(s.explained)
        mark = "" if s.score >= TARGET else "  < target"
        rows.append(
            f"{s.module:<24} {len(s.statuses):>7} {s.caught:>6} {len(s.explained):>9} {unexplained:>11}"
            f" {s.score:>6.1%}{mark}"
        )
    total = len([m for s in scores for m in s.statuses])
    caught = sum(s.caught for s in scores)
    rows.append(f"{'all':<24} {total:>7} {caught:>6}   raw {caught / total if total else 1:.1%}")
    return "\n".join(rows)
