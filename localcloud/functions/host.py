"""Runs every deployed function in its own process and keeps an eye on them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from localcloud.emulator.identity import aws_environment
from localcloud.functions.invoke_api import MAPPINGS_PATH
from localcloud.processes import stop_process
from localcloud.provisioning.deployment import Deployment, FunctionSpec, state_dir

_REPO_ROOT = Path(__file__).resolve().parents[2]
# Printed by localcloud.functions.process once it serves invocations.
READY_MARKER = "LOCALCLOUD_FUNCTION_READY"


class FunctionStartError(RuntimeError):
    pass


class FunctionError(RuntimeError):
    """A synchronous invoke returned X-Amz-Function-Error."""

    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__(f"{payload.get('errorType')}: {payload.get('errorMessage')}")
        self.payload = payload


def lambda_environment(function: FunctionSpec, endpoint_url: str) -> dict[str, str]:
    """The variables Lambda sets, the function's own, and the way to the embedded cloud."""
    stream = f"{datetime.now(UTC):%Y/%m/%d}/[$LATEST]{os.urandom(16).hex()}"
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        **function.environment,
        **aws_environment(endpoint_url),
        "_HANDLER": function.handler,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{function.runtime}",
        "AWS_LAMBDA_FUNCTION_NAME": function.name,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_size),
        "AWS_LAMBDA_FUNCTION_TIMEOUT": str(function.timeout),
        "AWS_LAMBDA_LOG_GROUP_NAME": function.log_group,
        "AWS_LAMBDA_LOG_STREAM_NAME": stream,
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "LAMBDA_TASK_ROOT": function.code_dir,
        # Only so the child can import localcloud; functions.process hides it again.
        "PYTHONPATH": str(_REPO_ROOT),
        "PYTHONUNBUFFERED": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


class _FunctionProcess:
    def __init__(
        self, function: FunctionSpec, process: subprocess.Popen[str], log_path: Path, echo: IO[str] | None
    ) -> None:
        self.function = function
        self.process = process
        self.log_path = log_path
        self.port: int | None = None
        self.ready = threading.Event()
        self._echo = echo
        threading.Thread(target=self._pump, name=f"log-{function.name}", daemon=True).start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        with self.log_path.open("a", encoding="utf-8") as log:
            for line in self.process.stdout:
                if line.startswith(READY_MARKER):
                    self.port = int(line.split()[1])
                    self.ready.set()
                    continue
                log.write(line)
                log.flush()
                if self._echo is not None:
                    self._echo.write(f"[{self.function.logical_name}] {line}")
                    self._echo.flush()

    def log_tail(self, lines: int = 30) -> str:
        return "".join(self.log_path.read_text(encoding="utf-8").splitlines(True)[-lines:])


class FunctionHost:
    """Starts all functions in parallel, waits until each is ready, stops them all."""

    def __init__(
        self,
        deployment: Deployment,
        *,
        retry_delay_seconds: int = 1,
        echo: IO[str] | None = None,
        start_timeout: float = 60.0,
    ) -> None:
        self._deployment = deployment
        self._retry_delay = retry_delay_seconds
        self._echo = echo
        self._start_timeout = start_timeout
        self._processes: dict[str, _FunctionProcess] = {}
        self._stopping = False
        self.deaths: list[str] = []
        directory = state_dir(Path(deployment.project_dir), deployment.stack)
        self._runtime_dir = directory / "runtime"
        self.logs_dir = directory / "logs"

    def start(self) -> FunctionHost:
        self._runtime_dir.mkdir(parents=True, exist_ok=True)
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        try:
            for function in self._deployment.functions:
                self._processes[function.name] = self._launch(function)
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        threading.Thread(target=self._watch, name="function-watch", daemon=True).start()
        return self

    def _launch(self, function: FunctionSpec) -> _FunctionProcess:
        spec_path = self._runtime_dir / f"{function.name}.json"
        spec = {
            "function": asdict(function),
            "mappings": [asdict(m) for m in self._deployment.mappings_for(function.name)],
            "endpoint_url": self._deployment.endpoint_url,
            "retry_delay_seconds": self._retry_delay,
            "hidden_paths": [str(_REPO_ROOT), self._deployment.project_dir],
        }
        spec_path.write_text(json.dumps(spec, indent=2))
        log_path = self.logs_dir / f"{function.name}.log"
        log_path.write_text("")
        process = subprocess.Popen(
            [sys.executable, "-m", "localcloud.functions.process", str(spec_path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=lambda_environment(function, self._deployment.endpoint_url),
            cwd=function.code_dir,
            start_new_session=True,
        )
        return _FunctionProcess(function, process, log_path, self._echo)

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + self._start_timeout
        for name, child in self._processes.items():
            while not child.ready.wait(0.05):
                if child.process.poll() is not None or time.monotonic() > deadline:
                    time.sleep(0.2)  # let the log pump catch the last lines
                    raise FunctionStartError(
                        f"function {name} did not start (see {child.log_path}):\n{child.log_tail()}"
                    )

    def _watch(self) -> None:
        while not self._stopping:
            for name, child in list(self._processes.items()):
                code = child.process.poll()
                if code is not None and name not in self.deaths and not self._stopping:
                    self.deaths.append(name)
                    sys.stderr.write(f"localcloud: function {name} exited with {code}; see {child.log_path}\n")
            time.sleep(0.5)

    def check(self) -> None:
        """Raise if any function process died since start."""
        if self.deaths:
            raise FunctionStartError(f"function processes died: {', '.join(self.deaths)}")

    def invoke_url(self, function_name: str) -> str:
        name = self._deployment.function(function_name).name
        port = self._processes[name].port
        return f"http://127.0.0.1:{port}/2015-03-31/functions/{name}/invocations"

    def process_ids(self) -> dict[str, int]:
        """Each function's process id, for measuring what the functions cost."""
        return {name: child.process.pid for name, child in self._processes.items()}

    def set_enabled(self, function_name: str, enabled: bool) -> None:
        """Enable or disable the function's event source mappings (Lambda's UpdateEventSourceMapping).

        Returns once the pollers have stopped taking messages (or started again)."""
        name = self._deployment.function(function_name).name
        request = urllib.request.Request(
            f"http://127.0.0.1:{self._processes[name].port}{MAPPINGS_PATH}",
            data=json.dumps({"enabled": enabled}).encode(),
            method="PUT",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60):
            pass

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
        return self._processes[self._deployment.function(function_name).name].log_path

    def stop(self) -> None:
        self._stopping = True
        children = list(self._processes.values())
        for child in children:
            if child.process.poll() is None:
                child.process.terminate()
        for child in children:
            stop_process(child.process)
        self._processes.clear()

    def __enter__(self) -> FunctionHost:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
