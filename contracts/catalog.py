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


# The business failures every orchestrated task may raise (lambdas/saga_events/tasks.py): the order
# was cancelled meanwhile; the execution's input breaks the task contract.
ORDER_CANCELLED = "OrderCancelled"
SAGA_INPUT_INVALID = "SagaInputInvalid"
SHARED_FAILURES = (ORDER_CANCELLED, SAGA_INPUT_INVALID)


@dataclass(frozen=True)
class SagaStep:
    """One step of the orchestrated saga: a task of its context, and the task that undoes it."""

    name: str
    context: str
    action: str
    compensation: str | None
    # Named business failures the task raises (besides the SHARED_FAILURES): each is caught.
    failures: tuple[str, ...]
    # The context's own transient errors (a lost race, a dependency briefly down): each is retried.
    retry: tuple[str, ...]
    # (event type, major version) subscriptions of the step's context the step does instead.
    replaces: tuple[tuple[str, int], ...] = ()

    @property
    def caught(self) -> tuple[str, ...]:
        return (*self.failures, *SHARED_FAILURES)


@dataclass(frozen=True)
class Orchestration:
    steps: tuple[SagaStep, ...]
    # The order's task that cancels it once the compensations ran (no compensation of its own).
    cancellation: SagaStep

    @property
    def contexts(self) -> tuple[str, ...]:
        """Every context with a task, in the order the saga first calls it."""
        return tuple(dict.fromkeys([*(step.context for step in self.steps), self.cancellation.context]))


@dataclass(frozen=True)
class Catalog:
    sources: dict[str, str]
    events: tuple[EventContract, ...]
    orchestration: Orchestration | None = None

    @property
    def contexts(self) -> tuple[str, ...]:
        return tuple(self.sources)

    def source_of(self, context: str) -> str:
        return self.sources[context]

    def consumed_by(self, context: str) -> tuple[EventContract, ...]:
        return tuple(e for e in self.events if context in e.consumers)

    def routed_to(self, context: str, saga_style: str = "choreography") -> tuple[EventContract, ...]:
        """What the global bus forwards to `context`: all it consumes, except, under orchestration,
        what a step of the state machine does instead."""
        consumed = self.consumed_by(context)
        if saga_style != "orchestration":
            return consumed
        if self.orchestration is None:
            raise ValueError("sagaStyle orchestration, but the catalog declares no orchestration steps")
        replaced = {key for step in self.orchestration.steps if step.context == context for key in step.replaces}
        return tuple(e for e in consumed if (e.type, e.version) not in replaced)

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
    orchestration = _orchestration(raw["orchestration"], events) if raw.get("orchestration") else None
    if orchestration and (strangers := set(orchestration.contexts) - set(sources)):
        raise ValueError(f"orchestration names contexts the catalog does not declare: {sorted(strangers)}")
    return Catalog(sources=sources, events=events, orchestration=orchestration)


def _step(entry: dict, events: tuple[EventContract, ...]) -> SagaStep:
    replaces = []
    for name in entry.get("replaces") or ():
        event_type, version = name.rsplit("/", 1)
        consumed = {(e.type, e.version) for e in events if entry["context"] in e.consumers}
        if (event_type, int(version)) not in consumed:
            raise ValueError(f"step {entry['name']} replaces {name}, which {entry['context']} does not consume")
        replaces.append((event_type, int(version)))
    return SagaStep(
        name=entry["name"],
        context=entry["context"],
        action=entry["action"],
        compensation=entry.get("compensation"),
        failures=tuple(entry.get("failures") or ()),
        retry=tuple(entry.get("retry") or ()),
        replaces=tuple(replaces),
    )


def _orchestration(raw: dict, events: tuple[EventContract, ...]) -> Orchestration:
    return Orchestration(
        steps=tuple(_step(entry, events) for entry in raw["steps"]),
        cancellation=_step(raw["cancellation"], events),
    )


def _refuse_unless_a_package_name(context: str) -> None:
    if not _PACKAGE_NAME.fullmatch(context) or keyword.iskeyword(context):
        raise ValueError(
            f"context {context!r} cannot be a Python package (lambdas/{context}/): "
            "use lowercase letters, digits and underscores, starting with a letter"
        )
    if context in _TAKEN:
        raise ValueError(f"context {context!r} would shadow the shared package {context} in every function bundle")
