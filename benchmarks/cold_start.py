"""How long each deployed handler takes to import in a fresh interpreter, next to a bare `import boto3`.

What a Lambda cold start pays in its init phase for our code: the handler module of every
function the Pulumi program deploys (read from the program itself, with each function's
declared environment) is imported in a new process, as the runtime does, and timed from
the first import to the last statement of the module (clients and validators built at
import included). A bare `import boto3`, which every handler needs anyway, is measured in
the same rounds, interleaved, so the ratios hold on a busy machine.

    .venv/bin/python -m benchmarks.cold_start [--rounds 9] [--why order.api] [--write-docs]
"""

import argparse
import os
import random
import statistics
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

from benchmarks.report import write_section
from tests.harness.deployment import deployment

PROJECT_DIR = Path(__file__).resolve().parents[1]
# A function's bundle is its context's package plus saga_events and contracts at the root.
BUNDLE_PATH = os.pathsep.join([str(PROJECT_DIR / "lambdas"), str(PROJECT_DIR)])
BASELINE = "boto3"
BUDGET = 1.5  # issue 12: no handler may cost more than 1.5 x a bare `import boto3` to import
# CPU time, not wall time: an import is CPU-bound, and on a machine shared with other work the
# wall clock mostly measures the neighbours. (Wall time is printed alongside, for the record.)
_TIMED_IMPORT = (
    "import time, importlib, sys; cpu, wall = time.process_time(), time.perf_counter(); "
    "importlib.import_module(sys.argv[1]); print(time.process_time() - cpu, time.perf_counter() - wall)"
)


def lambda_environment(function_name: str, declared: dict[str, str]) -> dict[str, str]:
    """What the runtime gives a function: its declared variables, a region, credentials."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POWERTOOLS_"))}
    return {
        **inherited,
        "PYTHONPATH": BUNDLE_PATH,
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "benchmark",
        "AWS_SECRET_ACCESS_KEY": "benchmark",
        "AWS_LAMBDA_FUNCTION_NAME": function_name,
        **declared,
    }


class Timing(NamedTuple):
    cpu: float  # seconds of CPU the import took
    wall: float  # seconds on the clock


def timed_import(module: str, environment: dict[str, str]) -> Timing:
    result = subprocess.run(
        [sys.executable, "-c", _TIMED_IMPORT, module], env=environment, capture_output=True, text=True, check=True
    )
    cpu, wall = result.stdout.split()
    return Timing(float(cpu), float(wall))


def measure(rounds: int) -> tuple[dict[str, list[Timing]], dict[str, str]]:
    """Import timings per module, and the function each handler module is deployed as."""
    functions = {f.module: f for f in deployment().functions}
    environments = {module: lambda_environment(f.name, f.environment) for module, f in functions.items()}
    environments[BASELINE] = lambda_environment("baseline", {})
    timings: dict[str, list[Timing]] = {module: [] for module in environments}
    order = list(environments)
    for _ in range(rounds):
        random.shuffle(order)  # interleaved, so a busy spell on the machine hits every module alike
        for module in order:
            timings[module].append(timed_import(module, environments[module]))
    return timings, {module: f.name for module, f in functions.items()}


def table(timings: dict[str, list[Timing]], names: dict[str, str]) -> list[str]:
    def median(module: str, clock: str) -> float:
        return statistics.median(getattr(t, clock) for t in timings[module])

    base_cpu, base_wall = median(BASELINE, "cpu"), median(BASELINE, "wall")
    lines = [
        "| handler module | function | CPU | x `import boto3` | wall clock | x `import boto3` |",
        "|---|---|---:|---:|---:|---:|",
        f"| `import boto3` (baseline) | | {base_cpu * 1e3:.0f} ms | 1.00 | {base_wall * 1e3:.0f} ms | 1.00 |",
    ]
    for module in sorted(names):
        cpu, wall = median(module, "cpu"), median(module, "wall")
        verdict = "" if cpu / base_cpu <= BUDGET else " (over budget)"
        lines.append(
            f"| `{module}` | {names[module]} | {cpu * 1e3:.0f} ms | {cpu / base_cpu:.2f}{verdict} "
            f"| {wall * 1e3:.0f} ms | {wall / base_wall:.2f} |"
        )
    return lines


def heaviest_imports(module: str, rounds: int, top: int = 15) -> list[str]:
    """The module's heaviest imports (cumulative, `-X importtime`) that `import boto3` does not pull in."""
    functions = {f.module: f for f in deployment().functions}
    environment = lambda_environment(functions[module].name, functions[module].environment)

    def cumulative(target: str) -> dict[str, int]:
        runs: dict[str, list[int]] = {}
        for _ in range(rounds):
            stderr = subprocess.run(
                [sys.executable, "-X", "importtime", "-c", f"import {target}"],
                env=environment,
                capture_output=True,
                text=True,
                check=True,
            ).stderr
            for line in stderr.splitlines():
                if line.startswith("import time:") and "|" in line and "cumulative" not in line:
                    _, total, name = (part.strip() for part in line.removeprefix("import time:").split("|"))
                    runs.setdefault(name, []).append(int(total))
        return {name: int(statistics.median(values)) for name, values in runs.items()}

    in_boto3 = cumulative(BASELINE)
    own = {name: us for name, us in cumulative(module).items() if name not in in_boto3}
    return [f"{us / 1e3:8.1f} ms  {name}" for name, us in sorted(own.items(), key=lambda kv: -kv[1])[:top]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=9, help="imports of each module, interleaved (default 9)")
    parser.add_argument("--why", metavar="MODULE", help="list MODULE's heaviest imports beyond `import boto3`")
    parser.add_argument("--write-docs", action="store_true", help="rewrite its section of docs/performance.md")
    args = parser.parse_args()

    if args.why:
        print("\n".join(heaviest_imports(args.why, rounds=3)))
        return
    timings, names = measure(args.rounds)
    lines = table(timings, names)
    print("\n".join(lines))
    if args.write_docs:
        body = "\n".join(
            [
                "## Cold start: importing each handler",
                "",
                "Each deployed function's handler module imported in a fresh interpreter with the function's",
                "declared environment (clients, loggers and validators built at import included), next to a",
                f"bare `import boto3`, interleaved, {args.rounds} rounds; medians. The budget and the verdicts",
                "are on CPU time: an import is CPU-bound, and the wall clock of a shared machine mostly",
                "measures the neighbours.",
                f"Budget: {BUDGET} x `import boto3`.",
                "",
                *lines,
                "",
                f"Reproduce: `.venv/bin/python -m benchmarks.cold_start --rounds {args.rounds} --write-docs`; "
                "`--why <module>` lists what a module imports beyond boto3.",
            ]
        )
        print(f"written to {write_section('cold_start', body)}")


if __name__ == "__main__":
    main()
