"""Runs every deployed function as Lambda would: instances on demand, event sources, the Invoke API.

Each function has a pool of instances (one process each, started on demand, kept warm,
replaced when one dies) capped by its reserved concurrency, or by `unreserved_concurrency`
for a function without one. The event source mappings poll in this process and hand each
batch to a free instance: up to a queue mapping's maximum concurrency at once, one batch
per stream shard. The Lambda Invoke API here is what the HTTP gateway calls.
"""

from __future__ import annotations

import contextlib
import json
import threading
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from localcloud.emulator.lambda_forwarding import register_lambda_endpoint
from localcloud.event_sources.dynamodb_stream import StreamPoller
from localcloud.event_sources.sqs import Slots, SqsPoller
from localcloud.functions.control_plane import LambdaControlPlane
from localcloud.functions.instance import INVOKE_PATH, FunctionInstance, FunctionLog, launch_instance
from localcloud.functions.invoke_api import Invocable, serve_invocations
from localcloud.functions.mappings import LiveMapping
from localcloud.functions.pool import InstancePool
from localcloud.lambda_runtime.invoker import Invocation
from localcloud.provisioning.deployment import DeployedFunction, Deployment, EventSourceMappingSpec, state_dir

_REPO_ROOT = Path(__file__).resolve().parents[2]
# What the embedded cloud lets a function without reserved concurrency run at once: the
# account's unreserved pool, cut to what a 2-core machine carries (an instance is ~75 MB).
UNRESERVED_CONCURRENCY = 10


class FunctionError(RuntimeError):
    """A synchronous invoke returned X-Amz-Function-Error."""

    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__(f"{payload.get('errorType')}: {payload.get('errorMessage')}")
        self.payload = payload


class FunctionHost:
    """Starts one instance of every function in parallel, then the event sources; stops them all."""

    def __init__(
        self,
        deployment: Deployment,
        *,
        retry_delay_seconds: int = 1,
        echo: IO[str] | None = None,
        start_timeout: float = 60.0,
        unreserved_concurrency: int = UNRESERVED_CONCURRENCY,
    ) -> None:
        self._deployment = deployment
        self._retry_delay = retry_delay_seconds
        self._echo = echo
        self._start_timeout = start_timeout
        self._unreserved = unreserved_concurrency
        self._pools: dict[str, InstancePool] = {}
        self._logs: dict[str, FunctionLog] = {}
        self._mappings: dict[str, list[LiveMapping]] = {}
        self._stop = threading.Event()
        self._api: Any = None
        directory = state_dir(Path(deployment.project_dir), deployment.stack)
        self._runtime_dir = directory / "runtime"
        self.logs_dir = directory / "logs"

    def start(self) -> FunctionHost:
        self._runtime_dir.mkdir(parents=True, exist_ok=True)
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        try:
            for function in self._deployment.functions:
                self._pools[function.name] = self._pool(function)
            with ThreadPoolExecutor(max(1, len(self._pools))) as starting:
                # list() re-raises the first start that failed.
                list(starting.map(InstancePool.start_one, self._pools.values()))
            pollers = []
            for function in self._deployment.functions:
                self._mappings[function.name] = []
                for mapping in self._deployment.mappings_for(function.name):
                    live, poller = self._poller(function, mapping)
                    self._mappings[function.name].append(live)
                    pollers.append(poller)
            reserved = {f.name: f.reserved_concurrency for f in self._deployment.functions}
            every_mapping = [m for mappings in self._mappings.values() for m in mappings]
            control_plane = LambdaControlPlane(
                self._deployment.functions, every_mapping, reserved, set_reserved=self._set_reserved
            )
            self._api = serve_invocations(self._find, control_plane)
            # A disabled mapping's poller starts too, waiting at its switch until it is enabled.
            for poller in pollers:
                poller.start()
            register_lambda_endpoint(self._deployment.endpoint_url, self.lambda_endpoint_url)
        except BaseException:
            self.stop()
            raise
        threading.Thread(target=self._watch, name="function-watch", daemon=True).start()
        return self

    def _set_reserved(self, name: str, reserved: int | None) -> None:
        """PutFunctionConcurrency (None: DeleteFunctionConcurrency): what the function may run at once.
        Instances running go on; 0 throttles every later invocation."""
        self._pools[name].set_limit(self._unreserved if reserved is None else reserved, reserved=reserved is not None)

    def _pool(self, function: DeployedFunction) -> InstancePool:
        spec_path = self._runtime_dir / f"{function.name}.json"
        spec = {"function": asdict(function), "hidden_paths": [str(_REPO_ROOT), self._deployment.project_dir]}
        spec_path.write_text(json.dumps(spec, indent=2))
        log = FunctionLog(self.logs_dir / f"{function.name}.log", self._echo, function.system_log_level)
        self._logs[function.name] = log
        limit = function.reserved_concurrency if function.reserved_concurrency is not None else self._unreserved

        def launch(number: int) -> FunctionInstance:
            return launch_instance(function, number, spec_path, self._deployment.endpoint_url, log)

        return InstancePool(function, limit, launch, self._start_timeout)

    def _poller(
        self, function: DeployedFunction, mapping: EventSourceMappingSpec
    ) -> tuple[LiveMapping, threading.Thread]:
        pool = self._pools[function.name]
        log = self._logs[function.name]
        report = partial(log.write, f"{function.logical_name} {mapping.logical_name}")
        endpoint = self._deployment.endpoint_url
        if mapping.source_type == "sqs":
            # Lambda's own ceiling for a queue is far above what the function may run; the function's wins.
            slots = Slots(1)
            live = LiveMapping(mapping, function.arn, concurrency_ceiling=pool.limit, set_concurrency=slots.set_limit)
            slots.set_limit(live.effective_concurrency())
            poller = SqsPoller(
                mapping,
                live.recording(partial(pool.invoke, wait=True)),
                endpoint,
                self._stop,
                self._retry_delay,
                live.switch,
                slots=slots,
                concurrency_ceiling=pool.limit,
                function_timeout_seconds=function.timeout,
                report=report,
            )
            return live, poller
        live = LiveMapping(mapping, function.arn, concurrency_ceiling=1)
        invoke = live.recording(partial(pool.invoke, wait=True))
        return live, StreamPoller(
            mapping, invoke, function.arn, endpoint, self._stop, self._retry_delay, live.switch, report=report
        )

    def _find(self, name: str) -> Invocable | None:
        try:
            pool = self._pools[self._deployment.function(name).name]
        except KeyError:
            return None

        def invoke(event: Any, request_id: str | None, wait: bool) -> Invocation:
            return pool.invoke(event, wait=wait)

        return invoke

    def _watch(self) -> None:
        while not self._stop.wait(0.5):
            for pool in list(self._pools.values()):
                pool.reap()

    def invoke_url(self, function_name: str) -> str:
        """The function's Lambda Invoke endpoint (what API Gateway calls)."""
        name = self._deployment.function(function_name).name
        return f"http://127.0.0.1:{self._api.server_address[1]}" + INVOKE_PATH.format(name=name)

    @property
    def lambda_endpoint_url(self) -> str:
        """Where a Lambda client (boto3 `lambda` with this endpoint_url) invokes the functions."""
        return f"http://127.0.0.1:{self._api.server_address[1]}"

    def process_ids(self) -> dict[str, int]:
        """Every live instance's process id, for measuring what the functions cost."""
        return {label: pid for pool in self._pools.values() for label, pid in pool.instances().items()}

    def stats(self) -> dict[str, dict[str, int]]:
        """Per function: its limit, live and busy instances, the busiest moment, starts and deaths."""
        return {pool.function.logical_name: pool.stats() for pool in self._pools.values()}

    def kill_instance(self, function_name: str) -> bool:
        """SIGKILL a busy instance of the function, as a crash would (it is replaced); False when none is busy."""
        return self._pools[self._deployment.function(function_name).name].kill_busy()

    def set_enabled(self, function_name: str, enabled: bool) -> None:
        """Enable or disable the function's event source mappings (Lambda's UpdateEventSourceMapping).

        Returns once they are Disabled (no batch in flight any more) or Enabled."""
        for mapping in self._mappings[self._deployment.function(function_name).name]:
            mapping.set_enabled(enabled)

    def invoke(self, function_name: str, event: Any, timeout: float = 30.0) -> Any:
        request = urllib.request.Request(
            self.invoke_url(function_name),
            data=json.dumps(event).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            payload = json.loads(response.read() or b"null")
            if response.headers.get("X-Amz-Function-Error"):
                raise FunctionError(payload)
            return payload

    def log_path(self, function_name: str) -> Path:
        return self._logs[self._deployment.function(function_name).name].path

    def metrics_path(self, function_name: str) -> Path:
        """Its invocations and their durations, one JSON line each (Lambda's metrics, not its log)."""
        return self._logs[self._deployment.function(function_name).name].metrics_path

    def stop(self) -> None:
        self._stop.set()
        if self._api is not None:
            # The moto server may be gone already; then there is nobody left to tell.
            with contextlib.suppress(OSError):
                register_lambda_endpoint(self._deployment.endpoint_url, None)
            self._api.shutdown()
            self._api.server_close()
            self._api = None
        with ThreadPoolExecutor(max(1, len(self._pools))) as stopping:
            list(stopping.map(InstancePool.stop, self._pools.values()))
        self._pools.clear()

    def __enter__(self) -> FunctionHost:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
