"""Release event schemas and check them for breaking changes.

    python -m tools.schemas check     # fail if any schema breaks an earlier revision of its major
    python -m tools.schemas release   # snapshot every changed schema as its next revision

A breaking change does not belong in a new revision: publish it as the next major
version (contracts/events/<type>/v<major+1>.schema.json plus a catalog entry).
"""

import argparse
import sys
from pathlib import Path

from contracts.schemas import EVENTS_DIR
from tools.compatibility import breaking_changes
from tools.released import (
    RELEASED_DIR,
    SchemaVersion,
    current_schemas,
    is_unreleased_change,
    release,
    revisions,
)


def find_breaking_changes(events_dir: Path = EVENTS_DIR, released_dir: Path = RELEASED_DIR) -> list[str]:
    """One message per breaking change of any current schema against any released revision of its major."""
    problems = []
    for schema in current_schemas(events_dir):
        current = schema.load()
        for revision in revisions(schema, released_dir):
            for change in breaking_changes(revision.load(), current):
                problems.append(f"{schema.label} (against released revision {revision.number}): {change}")
    return problems


def check(events_dir: Path = EVENTS_DIR, released_dir: Path = RELEASED_DIR) -> int:
    problems = find_breaking_changes(events_dir, released_dir)
    for schema in current_schemas(events_dir):
        if is_unreleased_change(schema, released_dir):
            print(f"note: {schema.label} differs from its latest released revision (python -m tools.schemas release)")
    if problems:
        _report("Breaking schema changes", problems)
        return 1
    print(f"ok: {len(current_schemas(events_dir))} schemas compatible with every released revision of their major")
    return 0


def release_all(events_dir: Path = EVENTS_DIR, released_dir: Path = RELEASED_DIR) -> int:
    # Releasing a breaking change would only freeze the mistake: every later check would fail on it.
    problems = find_breaking_changes(events_dir, released_dir)
    if problems:
        _report("Nothing released; breaking schema changes", problems)
        return 1
    pending: list[SchemaVersion] = [s for s in current_schemas(events_dir) if is_unreleased_change(s, released_dir)]
    for schema in pending:
        print(f"released {schema.label} as {release(schema, released_dir)}")
    if not pending:
        print("every schema is already released")
    return 0


def _report(heading: str, problems: list[str]) -> None:
    print(f"{heading} (publish them as a new major version instead):", file=sys.stderr)
    for problem in problems:
        print(f"  {problem}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.schemas", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["check", "release"])
    args = parser.parse_args(argv)
    return check() if args.command == "check" else release_all()


if __name__ == "__main__":
    sys.exit(main())
