"""What the Pulumi program declares, read once from the real program under Pulumi's mocks.

Tests that run handlers in-process take each function's handler string and environment
from here, so a handler is exercised exactly as the infrastructure configures it.
"""

from dataclasses import dataclass
from functools import cache

from tests.infra.program import RecordingMocks, orchestrated_program, run_program

FUNCTION = "aws:lambda/function:Function"
EVENT_SOURCE_MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping"
TABLE = "aws:dynamodb/table:Table"
TOPIC = "aws:sns/topic:Topic"
EVENT_BUS = "aws:cloudwatch/eventBus:EventBus"


@dataclass(frozen=True)
class DeclaredFunction:
    name: str  # the logical name, "<context>-<role>-fn"
    handler: str  # "package.module.function"
    environment: dict[str, str]
    trigger: str | None  # "queue", "stream", or None (invoked by the HTTP API)

    @property
    def context(self) -> str:
        return self.name.split("-", 1)[0]

    @property
    def module(self) -> str:
        return self.handler.rsplit(".", 1)[0]


@dataclass(frozen=True)
class DeclaredTable:
    name: str  # physical name, as the functions' environment names it
    hash_key: str
    range_key: str | None
    arn: str
    # Global secondary indexes: (name, hash key, range key or None), KEYS_ONLY.
    indexes: tuple[tuple[str, str, str | None], ...] = ()


@dataclass(frozen=True)
class DeclaredStack:
    functions: tuple[DeclaredFunction, ...]
    tables: dict[str, DeclaredTable]  # by physical name
    topics: dict[str, str]  # declared ARN -> topic name
    buses: frozenset[str]

    def queue_workers(self) -> tuple[DeclaredFunction, ...]:
        return tuple(f for f in self.functions if f.trigger == "queue")

    def worker(self, context: str) -> DeclaredFunction:
        [function] = [f for f in self.queue_workers() if f.context == context]
        return function

    def function(self, handler: str) -> DeclaredFunction:
        [function] = [f for f in self.functions if f.handler == handler]
        return function

    def variable_names(self) -> frozenset[str]:
        """Every environment variable any function is given."""
        return frozenset(name for f in self.functions for name in f.environment)

    def tables_of(self, function: DeclaredFunction) -> tuple[DeclaredTable, ...]:
        return tuple(self.tables[v] for v in function.environment.values() if v in self.tables)


@cache
def declared_stack(stack: str = "dev") -> DeclaredStack:
    return read_declared_stack(run_program(stack))


@cache
def declared_orchestrated_stack(stack: str = "dev") -> DeclaredStack:
    """The same stack with `sagaStyle: orchestration`: a task function per step context besides."""
    return read_declared_stack(orchestrated_program(stack))


def read_declared_stack(program: RecordingMocks) -> DeclaredStack:
    triggers: dict[str, str] = {}
    for mapping in program.of_type(EVENT_SOURCE_MAPPING):
        source = mapping.inputs["eventSourceArn"]
        triggers[mapping.inputs["functionName"]] = "queue" if ":sqs:" in source else "stream"
    # Sorted: Pulumi registers resources in no fixed order, and tests parametrised over the
    # functions must collect alike in every pytest-xdist worker.
    functions = tuple(
        sorted(
            (
                DeclaredFunction(
                    name=f.name,
                    handler=f.inputs["handler"],
                    environment=dict((f.inputs.get("environment") or {}).get("variables") or {}),
                    trigger=triggers.get(f.outputs["arn"]),
                )
                for f in program.of_type(FUNCTION)
            ),
            key=lambda function: function.name,
        )
    )
    tables = {
        t.outputs["name"]: DeclaredTable(
            t.outputs["name"], t.inputs["hashKey"], t.inputs.get("rangeKey"), t.outputs["arn"], _indexes(t.inputs)
        )
        for t in program.of_type(TABLE)
    }
    topics = {t.outputs["arn"]: t.outputs["name"] for t in program.of_type(TOPIC)}
    buses = frozenset(b.outputs["name"] for b in program.of_type(EVENT_BUS))
    return DeclaredStack(functions, tables, topics, buses)


def _indexes(inputs: dict) -> tuple[tuple[str, str, str | None], ...]:
    indexes = []
    for index in inputs.get("globalSecondaryIndexes") or []:
        keys = {key["keyType"]: key["attributeName"] for key in index["keySchemas"]}
        indexes.append((index["name"], keys["HASH"], keys.get("RANGE")))
    return tuple(indexes)
