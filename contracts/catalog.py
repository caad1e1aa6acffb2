"""The event catalog: which context produces each event type and which consume it."""

import keyword
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from contracts.schemas import CONTRACTS_DIR, dataschema_uri

CATALOG_PATH = CONTRACTS_DIR / "catalog.yaml"
# A context's code is the Python package lambdas/<context>/, and Lambda imports its handler as
# "<context>.module.function": the name must be a (lowercase) package name.
_PACKAGE_NAME = re.compile(r"[a-z][a-z0-9_]*")
# Packages every function bundle already carries beside the context's own.
_TAKEN = frozenset({"saga_events", "contracts"})


@dataclass(frozen=True)
class EventContract:
    type: str
    version: int
    producer: str
    consumers: tuple[str, ...]
    summary: str

    @property
    def dataschema(self) -> str:
        return dataschema_uri(self.type, self.version)


@dataclass(frozen=True)
class Catalog:
    sources: dict[str, str]
    events: tuple[EventContract, ...]

    @property
    def contexts(self) -> tuple[str, ...]:
        return tuple(self.sources)

    def source_of(self, context: str) -> str:
        return self.sources[context]

    def consumed_by(self, context: str) -> tuple[EventContract, ...]:
        return tuple(e for e in self.events if context in e.consumers)

    def produced_by(self, context: str) -> tuple[EventContract, ...]:
        return tuple(e for e in self.events if e.producer == context)

    def contract(self, event_type: str, version: int) -> EventContract:
        for event in self.events:
            if (event.type, event.version) == (event_type, version):
                return event
        raise KeyError(f"{event_type} v{version} is not in the event catalog")


@cache
def load_catalog(path: Path = CATALOG_PATH) -> Catalog:
    # PyYAML is imported here, not at module level, because Lambda bundles carry this
    # package for its schemas only and have no YAML parser.
    import yaml

    raw = yaml.safe_load(path.read_text())
    sources = {name: spec["source"] for name, spec in raw["contexts"].items()}
    for name in sources:
        _refuse_unless_a_package_name(name)
    events = tuple(
        EventContract(
            type=entry["type"],
            version=int(entry["version"]),
            producer=entry["producer"],
            consumers=tuple(entry.get("consumers") or ()),
            summary=entry["summary"],
        )
        for entry in raw["events"]
    )
    unknown = {e.producer for e in events} | {c for e in events for c in e.consumers}
    unknown -= set(sources)
    if unknown:
        raise ValueError(f"catalog names contexts it does not declare: {sorted(unknown)}")
    return Catalog(sources=sources, events=events)


def _refuse_unless_a_package_name(context: str) -> None:
    if not _PACKAGE_NAME.fullmatch(context) or keyword.iskeyword(context):
        raise ValueError(
            f"context {context!r} cannot be a Python package (lambdas/{context}/): "
            "use lowercase letters, digits and underscores, starting with a letter"
        )
    if context in _TAKEN:
        raise ValueError(f"context {context!r} would shadow the shared package {context} in every function bundle")
