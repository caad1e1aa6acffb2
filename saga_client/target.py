"""Where a deployed saga is: its stack outputs, its API and AWS clients pointed at it."""

import contextlib
import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import boto3

T = TypeVar("T")


@dataclass
class HttpResponse:
    status: int
    headers: dict[str, str]
    body: Any


@dataclass
class SagaTarget:
    outputs: dict[str, Any]
    # None for real AWS; the emulator's URL for the embedded cloud.
    endpoint_url: str | None = None
    region: str = "us-east-1"
    # How to stop and restart a function's event source mappings. None: through the Lambda
    # API, as on AWS; the embedded cloud's function host supplies its own.
    worker_switch: "WorkerSwitch | None" = None
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)
    _emulated: bool = field(default=False, repr=False)

    @classmethod
    def for_emulator(
        cls, outputs: dict[str, Any], endpoint_url: str, worker_switch: "WorkerSwitch | None" = None
    ) -> "SagaTarget":
        """An emulated cloud (the embedded one): any credentials sign, every client talks to it."""
        return cls(outputs=outputs, endpoint_url=endpoint_url, worker_switch=worker_switch, _emulated=True)

    @classmethod
    def from_outputs_file(cls, path: Path, region: str | None = None) -> "SagaTarget":
        """A deployed stack, from `pulumi stack output --json --show-secrets > path`."""
        region = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        return cls(outputs=json.loads(path.read_text()), region=region)

    @property
    def api_url(self) -> str:
        return self.outputs["orderApiUrl"].rstrip("/")

    def context(self, name: str) -> dict[str, Any]:
        return self.outputs[name]

    def table(self, context: str, table: str) -> str:
        return self.outputs[context]["tables"][table]

    def client(self, service: str) -> Any:
        if service not in self._clients:
            credentials = (
                {"aws_access_key_id": "emulated", "aws_secret_access_key": "emulated"} if self._emulated else {}
            )
            self._clients[service] = boto3.client(
                service, region_name=self.region, endpoint_url=self.endpoint_url, **credentials
            )
        return self._clients[service]

    @contextlib.contextmanager
    def paused(self, context: str) -> Iterator[None]:
        """Stop a context's worker from taking messages (they wait in its queue), then restart it."""
        function = self.outputs[context]["functions"]["worker"]
        switch = self.worker_switch or LambdaWorkerSwitch(self.client("lambda"))
        switch.set_enabled(function, False)
        try:
            yield
        finally:
            switch.set_enabled(function, True)

    def http(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> HttpResponse:
        data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        request = urllib.request.Request(
            f"{self.api_url}{path}",
            data=data,
            method=method,
            headers={"content-type": "application/json", **(headers or {})},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return _response(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as error:
            return _response(error.code, dict(error.headers), error.read())


def _response(status: int, headers: dict[str, str], raw: bytes) -> HttpResponse:
    try:
        body = json.loads(raw) if raw else None
    except json.JSONDecodeError:
        body = raw.decode(errors="replace")
    return HttpResponse(status, {k.lower(): v for k, v in headers.items()}, body)


def eventually(probe: Callable[[], T | None], timeout: float = 30.0, interval: float = 0.2) -> T:
    """The first non-None value of `probe`, or TimeoutError: the saga is asynchronous."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value is not None:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up after {timeout:.0f}s waiting for {getattr(probe, '__name__', probe)}")
        time.sleep(interval)


class WorkerSwitch:
    def set_enabled(self, function_name: str, enabled: bool) -> None:
        raise NotImplementedError


@dataclass
class LambdaWorkerSwitch(WorkerSwitch):
    """Enables or disables a function's event source mappings and waits until AWS has done it."""

    lambda_client: Any

    def set_enabled(self, function_name: str, enabled: bool) -> None:
        wanted = "Enabled" if enabled else "Disabled"
        mappings = self.lambda_client.list_event_source_mappings(FunctionName=function_name)["EventSourceMappings"]
        for mapping in mappings:
            self.lambda_client.update_event_source_mapping(UUID=mapping["UUID"], Enabled=enabled)
        for mapping in mappings:

            def settled(uuid: str = mapping["UUID"]) -> bool | None:
                state = self.lambda_client.get_event_source_mapping(UUID=uuid)["State"]
                return True if state == wanted else None

            eventually(settled, timeout=120, interval=2)
