"""moto + the deployed program + function processes + HTTP gateways, as one object."""

from __future__ import annotations

import contextlib
import signal
import threading
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from localcloud.emulator import cognito
from localcloud.emulator.server import MotoServer
from localcloud.event_sources.schedules import ScheduleTimer
from localcloud.faults.injector import FaultInjector
from localcloud.faults.plan import FaultPlan
from localcloud.functions.host import FunctionHost
from localcloud.gateway.http_api import HttpGateway, lambda_invoker
from localcloud.gateway.jwt_authorizer import KeyCache
from localcloud.provisioning.deploy import deploy_in_subprocess, write_outputs
from localcloud.provisioning.deployment import Deployment, state_dir
from localcloud.provisioning.resources.http_api import stage_invoke_url


class EmbeddedCloud:
    """`with EmbeddedCloud.start(project_dir, stack="dev") as cloud:` runs the whole system."""

    def __init__(
        self,
        project_dir: Path,
        stack: str = "dev",
        *,
        retry_delay_seconds: int = 1,
        echo: IO[str] | None = None,
    ) -> None:
        self.project_dir = Path(project_dir).resolve()
        self.stack = stack
        self._retry_delay = retry_delay_seconds
        self._echo = echo
        self._stack = contextlib.ExitStack()
        self._moto: MotoServer | None = None
        self.deployment: Deployment | None = None
        self.functions: FunctionHost | None = None
        self.gateways: dict[str, HttpGateway] = {}
        self.outputs: dict[str, Any] = {}

    @classmethod
    def start(
        cls,
        project_dir: Path,
        stack: str = "dev",
        *,
        retry_delay_seconds: int = 1,
        echo: IO[str] | None = None,
    ) -> EmbeddedCloud:
        cloud = cls(project_dir, stack, retry_delay_seconds=retry_delay_seconds, echo=echo)
        try:
            cloud._start()
        except BaseException:
            cloud.stop()
            raise
        return cloud

    def _start(self) -> None:
        directory = state_dir(self.project_dir, self.stack)
        directory.mkdir(parents=True, exist_ok=True)
        self._moto = self._stack.enter_context(MotoServer(log_file=directory / "moto.log"))
        self.deployment = deploy_in_subprocess(self.project_dir, self.stack, self.endpoint_url)
        self.functions = self._stack.enter_context(
            FunctionHost(self.deployment, retry_delay_seconds=self._retry_delay, echo=self._echo)
        )
        # EventBridge Scheduler's schedules, which moto keeps but never runs, invoke their functions.
        timer_log = self.functions.logs_dir / "scheduler.log"

        def report(line: str) -> None:
            with timer_log.open("a") as log:
                print(line, file=log)
            if self._echo:
                print(line, file=self._echo, flush=True)

        self._stack.enter_context(ScheduleTimer(self.endpoint_url, self.functions.lambda_endpoint_url, report=report))
        invoke = lambda_invoker({f.name: self.functions.invoke_url(f.name) for f in self.deployment.functions})
        # Token issuers' keys, shared by every API: a Cognito pool's come from our moto server.
        endpoint = self.endpoint_url
        keys = KeyCache(lambda issuer: cognito.jwks_url(issuer, endpoint), cognito.key_set)
        for api in self.deployment.http_apis:
            gateway = HttpGateway(api, invoke, keys).start()
            self._stack.callback(gateway.stop)
            self.gateways[api.id] = gateway
        self.outputs = self._local_outputs(self.deployment.outputs)
        write_outputs(directory / "outputs.json", self.outputs)

    def _local_outputs(self, outputs: dict[str, Any]) -> dict[str, Any]:
        # The program exports the API URL under a name of its choosing, so swap by value.
        replacements: dict[str, str] = {}
        for gateway in self.gateways.values():
            api = gateway.api
            local = gateway.url.rstrip("/")
            replacements[api.api_endpoint] = local
            for stage in api.stages:
                replacements[stage_invoke_url(api.id, stage).rstrip("/")] = local

        def swap(value: Any) -> Any:
            if isinstance(value, dict):
                return {k: swap(v) for k, v in value.items()}
            if isinstance(value, list):
                return [swap(v) for v in value]
            if isinstance(value, str):
                trimmed = value.rstrip("/")
                if trimmed in replacements:
                    return replacements[trimmed] + value[len(trimmed) :]
            return value

        return swap(outputs)

    def inject_faults(self, plan: FaultPlan) -> FaultInjector:
        """Start injecting the plan's faults (chaos runs); `stop()` on the result turns them off."""
        if self.functions is None or self.deployment is None:
            raise RuntimeError("the embedded cloud is not running")
        injector = FaultInjector(self.endpoint_url, self.functions, [f.name for f in self.deployment.functions])
        self._stack.callback(injector.stop)
        return injector.start(plan)

    @property
    def endpoint_url(self) -> str:
        if self._moto is None:
            raise RuntimeError("the embedded cloud is not running")
        return self._moto.endpoint_url

    @property
    def moto_process_id(self) -> int | None:
        return None if self._moto is None else self._moto.process_id

    def api_url(self, api_name: str) -> str:
        """Local URL of an HTTP API, by logical name, physical name or id."""
        for gateway in self.gateways.values():
            if api_name in (gateway.api.logical_name, gateway.api.name, gateway.api.id):
                return gateway.url
        raise KeyError(f"no HTTP API named {api_name}")

    def serve_until_stopped(self, report: IO[str]) -> None:
        """Block until SIGINT or SIGTERM, telling `report` whenever function instances died and were replaced."""
        stopped = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stopped.set())
        signal.signal(signal.SIGINT, lambda *_: stopped.set())
        reported: dict[str, int] = {}
        while not stopped.wait(1):
            # An instance that dies is replaced, as Lambda replaces an execution environment; say so.
            deaths = {name: s["deaths"] for name, s in self.functions.stats().items()} if self.functions else {}
            if any(count > reported.get(name, 0) for name, count in deaths.items()):
                print(f"function instances died and were replaced: {deaths}", file=report, flush=True)
                reported = deaths

    def stop(self) -> None:
        self._stack.close()

    def __enter__(self) -> EmbeddedCloud:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
