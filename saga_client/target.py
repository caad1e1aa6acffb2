"""Where a deployed saga is: its stack outputs, its API and AWS clients pointed at it."""

import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable
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
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)

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
            self._clients[service] = boto3.client(service, region_name=self.region, endpoint_url=self.endpoint_url)
        return self._clients[service]

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
