"""Released schema revisions: contracts/released/<type>/v<major>/<n>.schema.json.

A revision is an immutable snapshot of a schema as it once shipped. Within a major
version, every later schema must stay compatible with all of them, so the
snapshots are what the compatibility check compares against.
"""

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contracts.schemas import CONTRACTS_DIR, EVENTS_DIR

RELEASED_DIR = CONTRACTS_DIR / "released"


@dataclass(frozen=True)
class SchemaVersion:
    """One event type at one major version, as it is in contracts/events/ now."""

    type: str
    major: int
    path: Path

    @property
    def label(self) -> str:
        return f"{self.type} v{self.major}"

    def load(self) -> dict[str, Any]:
        return json.loads(self.path.read_text())


@dataclass(frozen=True)
class Revision:
    number: int
    path: Path

    def load(self) -> dict[str, Any]:
        return json.loads(self.path.read_text())


def current_schemas(events_dir: Path = EVENTS_DIR) -> list[SchemaVersion]:
    found = []
    for path in sorted(events_dir.glob("*/v*.schema.json")):
        major = int(path.name.removeprefix("v").removesuffix(".schema.json"))
        found.append(SchemaVersion(type=path.parent.name, major=major, path=path))
    return found


def revisions(schema: SchemaVersion, released_dir: Path = RELEASED_DIR) -> list[Revision]:
    """The released revisions of `schema`'s type and major, oldest first."""
    folder = released_dir / schema.type / f"v{schema.major}"
    found = [Revision(int(p.name.removesuffix(".schema.json")), p) for p in folder.glob("*.schema.json")]
    return sorted(found, key=lambda r: r.number)


def is_unreleased_change(schema: SchemaVersion, released_dir: Path = RELEASED_DIR) -> bool:
    """True when the schema has no revision yet or differs (as JSON, not as text) from its latest one."""
    released = revisions(schema, released_dir)
    return not released or released[-1].load() != schema.load()


def release(schema: SchemaVersion, released_dir: Path = RELEASED_DIR) -> Path:
    """Snapshot the current schema as the next revision number and return the new file."""
    released = revisions(schema, released_dir)
    number = released[-1].number + 1 if released else 1
    target = released_dir / schema.type / f"v{schema.major}" / f"{number}.schema.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(schema.path, target)
    return target
