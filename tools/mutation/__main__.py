"""Mutation testing of the rules and the event library: ./run mutate.

python -m tools.mutation                       # mutate, run the fast tests against each mutant, print scores
python -m tools.mutation "payment.domain.*"    # only these mutants (mutmut's glob on mutant names)
python -m tools.mutation --max-children 2      # mutants tested in parallel (default 1: the machine is shared)
python -m tools.mutation --report              # print the scores of the last run again, testing nothing

Too slow for every test run (minutes); results are kept in .mutation/, so a second run only
re-tests the functions that changed and the earlier survivors. Exits 1 when a mutant survives
that tools/mutation/survivors.md does not explain.
"""

import argparse
import subprocess
import sys
import time
from pathlib import Path

from tools.mutation import scores, workspace

SURVIVORS_FILE = Path(__file__).resolve().parent / "survivors.md"
MUTMUT = Path(sys.executable).parent / "mutmut"


def main() -> int:
    parser = argparse.ArgumentParser(prog="./run mutate", description=__doc__.splitlines()[0])
    parser.add_argument("mutants", nargs="*", help="mutant names or globs, as mutmut shows them")
    parser.add_argument("--max-children", type=int, default=1)
    parser.add_argument("--report", action="store_true", help="only print the last run's scores")
    args = parser.parse_args()

    directory = workspace.prepare()
    tested_before = (directory / "mutants").exists()
    if not args.report:
        started = time.monotonic()
        run = [str(MUTMUT), "run", "--max-children", str(args.max_children)]
        if subprocess.run([*run, *args.mutants], cwd=directory, check=False).returncode != 0:
            return 2
        # mutmut re-tests a mutant only when its function changed, not when a test was added to
        # kill it: so the survivors of earlier runs are tried again against today's tests.
        earlier_survivors = _survivors(directory) if tested_before and not args.mutants else []
        if earlier_survivors and subprocess.run([*run, *earlier_survivors], cwd=directory).returncode != 0:
            return 2
        print(f"\nmutation run took {time.monotonic() - started:.0f} s")

    listed = scores.listed_survivors(SURVIVORS_FILE)
    by_module = scores.by_module(_statuses(directory), listed)
    print(scores.table(by_module))

    unexplained = [name for module in by_module for name in module.survivors if not scores.explains(listed, name)]
    survivors = [name for module in by_module for name in module.survivors]
    stale = sorted(pattern for pattern in listed if not any(scores.explains({pattern}, name) for name in survivors))
    if stale:
        print(f"\n{SURVIVORS_FILE.name} explains mutants that no longer survive: {', '.join(stale)}")
    if unexplained:
        print(f"\n{len(unexplained)} survivor(s) not explained in {SURVIVORS_FILE.relative_to(workspace.REPOSITORY)}:")
        for name in unexplained:
            shown = subprocess.run([str(MUTMUT), "show", name], cwd=directory, capture_output=True, text=True)
            print(shown.stdout.rstrip() or name)
        return 1
    return 0


def _statuses(directory: Path) -> dict[str, str]:
    results = subprocess.run(
        [str(MUTMUT), "results", "--all", "true"], cwd=directory, capture_output=True, text=True, check=True
    )
    return scores.parse_results(results.stdout.splitlines())


def _survivors(directory: Path) -> list[str]:
    return sorted(name for module in scores.by_module(_statuses(directory), set()) for name in module.survivors)


if __name__ == "__main__":
    sys.exit(main())
