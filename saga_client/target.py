"""Where a deployed saga is: its stack outputs, its API and AWS clients pointed at it."""

import contextlib
import json
import os
import re
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import boto3

from saga_client.customers import Customers

T = TypeVar("T")
_ORDER_PATH = re.compile(r"^/orders/(?P<order_id>[^/?]+)")


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
    _customers: Customers | None = field(default=None, repr=False)
    # Which customer placed each order this client placed: reading or cancelling it is theirs to do.
    _placed_by: dict[str, str] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

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

    @property
    def customers(self) -> Customers:
        """The stack's customers (its Cognito user pool), signed in by name."""
        with self._lock:
            if self._customers is None:
                if "customerUserPoolId" not in self.outputs:
                    raise RuntimeError(
                        "the stack has no user pool of its own (jwtIssuer is set): sign customers in with your "
                        "identity provider and pass their tokens in an Authorization header"
                    )
                self._customers = Customers(
                    self.client("cognito-idp"),
                    self.outputs["customerUserPoolId"],
                    self.outputs["customerUserPoolClientId"],
                )
            return self._customers

    def customer_id(self, customer: str) -> str:
        """The customer id the API gives this customer's orders (their token's subject)."""
        return self.customers.customer_id(customer)

    def placed_by(self, order_id: str) -> str | None:
        return self._placed_by.get(order_id)

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

    @property
    def saga_style(self) -> str:
        """How the stack runs the saga (its `sagaStyle` setting): choreography or orchestration."""
        return self.outputs.get("sagaStyle", "choreography")

    @contextlib.contextmanager
    def throttled(self, context: str) -> Iterator[None]:
        """Hold back a context's Step Functions task (orchestration): its function's reserved
        concurrency at 0, so every invoke is throttled and the state machine retries it (the task's
        Retry for Lambda.TooManyRequestsException, seconds apart); then the concurrency it had."""
        function = self.outputs[context]["functions"]["task"]
        lambda_client = self.client("lambda")
        before = lambda_client.get_function_concurrency(FunctionName=function).get("ReservedConcurrentExecutions")
        lambda_client.put_function_concurrency(FunctionName=function, ReservedConcurrentExecutions=0)
        try:
            yield
        finally:
            if before is None:
                lambda_client.delete_function_concurrency(FunctionName=function)
            else:
                lambda_client.put_function_concurrency(FunctionName=function, ReservedConcurrentExecutions=before)

    @contextlib.contextmanager
    def paused(self, context: str, function_name: str = "worker") -> Iterator[None]:
        """Stop a context's worker (or another of its functions fed by an event source: the order's
        `outbox-relay`) from taking messages (they wait in its queue or stream), then restart it."""
        function = self.outputs[context]["functions"][function_name]
        switch = self.worker_switch or LambdaWorkerSwitch(self.client("lambda"))
        switch.set_enabled(function, False)
        try:
            yield
        finally:
            switch.set_enabled(function, True)

    def http(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        *,
        customer: str | None = None,
        anonymous: bool = False,
    ) -> HttpResponse:
        """One request to the order API as a signed-in customer: `customer`, else whoever placed the
        order the path names, else a new customer. An Authorization header in `headers` is sent as
        given; `anonymous` sends none."""
        sent = {"content-type": "application/json", **(headers or {})}
        if not anonymous and not any(name.lower() == "authorization" for name in sent):
            customer = customer or self._owner(path) or f"customer-{uuid.uuid4().hex[:8]}"
            sent["authorization"] = f"Bearer {self.customers.token(customer)}"
        data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        request = urllib.request.Request(f"{self.api_url}{path}", data=data, method=method, headers=sent)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                answered = _response(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as error:
            answered = _response(error.code, dict(error.headers), error.read())
        if customer and method == "POST" and path == "/orders" and answered.status == 202:
            self._placed_by[answered.body["orderId"]] = customer
        return answered

    def _owner(self, path: str) -> str | None:
        match = _ORDER_PATH.match(path)
        return self._placed_by.get(match.group("order_id")) if match else None


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


class NoMappingToSwitch(LookupError):
    """The function has no event source mapping: pausing it would silently pause nothing."""


@dataclass
class LambdaWorkerSwitch(WorkerSwitch):
    """Enables or disables a function's event source mappings through Lambda's API
    (UpdateEventSourceMapping) and waits until Lambda says they are so."""

    lambda_client: Any
    # Disabling lasts until the batches in flight have finished: up to the function's timeout.
    timeout: float = 300.0

    def set_enabled(self, function_name: str, enabled: bool) -> None:
        wanted = "Enabled" if enabled else "Disabled"
        pages = self.lambda_client.get_paginator("list_event_source_mappings").paginate(FunctionName=function_name)
        mappings = [mapping["UUID"] for page in pages for mapping in page["EventSourceMappings"]]
        if not mappings:
            raise NoMappingToSwitch(
                f"{function_name} has no event source mapping to {'enable' if enabled else 'disable'}"
            )
        for mapping in mappings:
            # A mapping still Enabling, Disabling or Updating refuses a change (ResourceInUseException).
            if self._at_rest(mapping) != wanted:
                self.lambda_client.update_event_source_mapping(UUID=mapping, Enabled=enabled)
        for mapping in mappings:
            if (state := self._at_rest(mapping)) != wanted:
                raise RuntimeError(f"event source mapping {mapping} of {function_name} is {state}, not {wanted}")

    def _at_rest(self, mapping: str) -> str:
        deadline = time.monotonic() + self.timeout
        interval = 0.2
        while True:
            state = self.lambda_client.get_event_source_mapping(UUID=mapping)["State"]
            if state in ("Enabled", "Disabled"):
                return state
            if time.monotonic() > deadline:
                raise TimeoutError(f"event source mapping {mapping} still {state} after {self.timeout:.0f}s")
            time.sleep(interval)
            # Lambda takes seconds to minutes on AWS; the control plane's rate limit is low, so ask less often.
            interval = min(interval * 2, 5.0)
