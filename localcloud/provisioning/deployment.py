"""What a deploy produced, as plain data saved to `.localcloud/<stack>/deployment.json`."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class DeployedFunction:
    logical_name: str
    name: str
    arn: str
    handler: str
    runtime: str
    timeout: int
    memory_size: int
    environment: dict[str, str]
    code_dir: str
    log_group: str
    layers: list[str] = field(default_factory=list)
    # Lambda's reserved concurrency: the most instances the function may run at once (None: unreserved).
    reserved_concurrency: int | None = None
    # What Lambda's GetFunctionConfiguration reports: the execution role and the log format.
    role: str = ""
    log_format: str = "Text"
    # LoggingConfig.SystemLogLevel: WARN leaves out Lambda's START/END/REPORT lines.
    system_log_level: str = "INFO"


@dataclass
class EventSourceMappingSpec:
    logical_name: str
    uuid: str
    function: str
    event_source_arn: str
    source_type: str
    batch_size: int
    maximum_batching_window_in_seconds: int
    function_response_types: list[str]
    starting_position: str | None
    maximum_retry_attempts: int
    bisect_batch_on_function_error: bool
    on_failure_destination: str | None
    filter_patterns: list[str]
    enabled: bool
    # SQS only (ScalingConfig.MaximumConcurrency): the most batches of this mapping in flight at once.
    maximum_concurrency: int | None = None


@dataclass
class HttpRoute:
    route_key: str
    function: str
    # The integration's timeout: HTTP APIs allow 50 ms to 30 s, 30 s by default.
    timeout_ms: int = 30_000
    # "NONE" or "JWT"; with JWT, the authorizer's issuer, audiences and where the token is, and the
    # scopes the route asks for (a token needs one of them; none asked: any valid token passes).
    authorization_type: str = "NONE"
    jwt_issuer: str | None = None
    jwt_audiences: list[str] = field(default_factory=list)
    identity_source: str | None = None
    authorization_scopes: list[str] = field(default_factory=list)


@dataclass
class HttpApiSpec:
    logical_name: str
    id: str
    name: str
    api_endpoint: str
    stages: list[str]
    routes: list[HttpRoute]


@dataclass
class Deployment:
    project: str
    stack: str
    project_dir: str
    endpoint_url: str
    outputs: dict[str, Any]
    functions: list[DeployedFunction]
    event_source_mappings: list[EventSourceMappingSpec]
    http_apis: list[HttpApiSpec]

    def function(self, name: str) -> DeployedFunction:
        for spec in self.functions:
            if name in (spec.name, spec.logical_name, spec.arn):
                return spec
        raise KeyError(f"no function named {name}")

    def mappings_for(self, function_name: str) -> list[EventSourceMappingSpec]:
        return [m for m in self.event_source_mappings if m.function == function_name]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Deployment:
        return cls(
            project=data["project"],
            stack=data["stack"],
            project_dir=data["project_dir"],
            endpoint_url=data["endpoint_url"],
            outputs=data["outputs"],
            functions=[DeployedFunction(**f) for f in data["functions"]],
            event_source_mappings=[EventSourceMappingSpec(**m) for m in data["event_source_mappings"]],
            http_apis=[
                HttpApiSpec(**{**a, "routes": [HttpRoute(**r) for r in a["routes"]]}) for a in data["http_apis"]
            ],
        )

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), indent=2, sort_keys=False) + "\n")

    @classmethod
    def load(cls, path: Path) -> Deployment:
        return cls.from_json(json.loads(path.read_text()))


# Names one of several embedded clouds of the same stack running side by side (a chaos run
# beside `./run up`, one per test worker); inherited by the deploy subprocess.
INSTANCE_VARIABLE = "LOCALCLOUD_INSTANCE"


def state_dir(project_dir: Path, stack: str) -> Path:
    instance = os.environ.get(INSTANCE_VARIABLE)
    return project_dir / ".localcloud" / (f"{stack}-{instance}" if instance else stack)
