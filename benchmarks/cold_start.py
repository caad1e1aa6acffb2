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

from benchmarks.report import write_section
from tests.harness.deployment import deployment

PROJECT_DIR = Path(__file__).resolve().parents[1]
# A function's bundle is its context's package plus saga_events and contracts at the root.
BUNDLE_PATH = os.pathsep.join([str(PROJECT_DIR / "lambdas"), str(PROJECT_DIR)])
BASELINE = "boto3"
BUDGET = 1.5  # issue 12: no handler may cost more than 1.5 x a bare `import boto3` to import
_TIMED_IMPORT = (
    "import time, importlib, sys; started = time.perf_counter(); importlib.import_module(sys.argv[1]); "
    "print(time.perf_counter() - started)"
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


def import_seconds(module: str, environment: dict[str, str]) -> float:
    result = subprocess.run(
        [sys.executable, "-c", _TIMED_IMPORT, module], env=environment, capture_output=True, text=True, check=True
    )
    return float(result.stdout)


def measure(rounds: int) -> tuple[dict[str, list[float]], dict[str, str]]:
    """Import seconds per module, and the function each handler module is deployed as."""
    functions = {f.module: f for f in deployment().functions}
    environments = {module: lambda_environment(f.name, f.environment) for module, f in functions.items()}
    environments[BASELINE] = lambda_environment("baseline", {})
    seconds: dict[str, list[float]] = {module: [] for module in environments}
    order = list(environments)
    for _ in range(rounds):
        random.shuffle(order)  # interleaved, so a busy spell on the machine hits every module alike
        for module in order:
            seconds[module].append(import_seconds(module, environments[module]))
    return seconds, {module: f.name for module, f in functions.items()}


def table(seconds: dict[str, list[float]], names: dict[str, str]) -> list[str]:
    baseline = statistics.median(seconds[BASELINE])
    lines = [
        "| handler module | function | median import | min | x `import boto3` |",
        "|---|---|---:|---:|---:|",
        f"| `import boto3` (baseline) | | {baseline * 1e3:.0f} ms | {min(seconds[BASELINE]) * 1e3:.0f} ms | 1.00 |",
    ]
    for module in sorted(names):
        median = statistics.median(seconds[module])
        ratio = median / baseline
        verdict = "" if ratio <= BUDGET else " (over budget)"
        lines.append(
            f"| `{module}` | {names[module]} | {median * 1e3:.0f} ms | {min(seconds[module]) * 1e3:.0f} ms "
            f"| {ratio:.2f}{verdict} |"
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
    seconds, names = measure(args.rounds)
    lines = table(seconds, names)
    print("\n".join(lines))
    if args.write_docs:
        body = "\n".join(
            [
                "## Cold start: importing each handler",
                "",
                "Each deployed function's handler module imported in a fresh interpreter with the function's",
                "declared environment (clients, loggers and validators built at import included), next to a",
                f"bare `import boto3`, interleaved, {args.rounds} rounds; median and fastest of the rounds.",
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
