"""One execution environment of a function, seen from the host: a child process that imported
the handler (its own cold start) and answers invocations one at a time."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from localcloud.emulator.identity import aws_environment
from localcloud.lambda_runtime.invoker import Invocation, runtime_exited, timed_out
from localcloud.provisioning.deployment import DeployedFunction

_REPO_ROOT = Path(__file__).resolve().parents[2]
# Printed by localcloud.functions.process once it serves invocations.
READY_MARKER = "LOCALCLOUD_FUNCTION_READY"
# The header Lambda's Runtime API hands an invocation's id to the runtime with.
REQUEST_ID_HEADER = "Lambda-Runtime-Aws-Request-Id"
INVOKE_PATH = "/2015-03-31/functions/{name}/invocations"
# Past the function's timeout the handler had its chance to answer Sandbox.Timedout itself.
_TIMEOUT_GRACE_SECONDS = 1.0


class FunctionStartError(RuntimeError):
    pass


def lambda_environment(function: DeployedFunction, endpoint_url: str) -> dict[str, str]:
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


# Lambda's own lines for each invocation (localcloud.lambda_runtime.invoker prints them).
PLATFORM_LINES = ("START RequestId:", "END RequestId:", "REPORT RequestId:")
_REPORT = re.compile(r"^REPORT RequestId: (\S+)\s+Duration: ([0-9.]+) ms")


class FunctionLog:
    """One function's log file: every instance writes its lines there, whole.

    Beside it, the function's metrics (`metrics_path`, one JSON line per invocation: request id and
    duration), as Lambda's Invocations and Duration metrics are kept whatever its log level: with
    LoggingConfig.SystemLogLevel WARN, Lambda's START/END/REPORT lines are not written to the log.
    """

    def __init__(self, path: Path, echo: IO[str] | None, system_log_level: str = "INFO") -> None:
        self.path = path
        self.metrics_path = path.with_suffix(".metrics.jsonl")
        self._echo = echo
        self._platform_lines_logged = system_log_level.upper() in ("DEBUG", "INFO")
        self._lock = threading.Lock()
        path.write_text("")
        self.metrics_path.write_text("")

    def write(self, source: str, line: str) -> None:
        if not line.endswith("\n"):
            line += "\n"
        platform = line.startswith(PLATFORM_LINES)
        with self._lock:
            if report := _REPORT.match(line):
                with self.metrics_path.open("a", encoding="utf-8") as metrics:
                    metrics.write(json.dumps({"requestId": report[1], "durationMs": float(report[2])}) + "\n")
            if platform and not self._platform_lines_logged:
                return
            with self.path.open("a", encoding="utf-8") as log:
                log.write(line)
            if self._echo is not None:
                self._echo.write(f"[{source}] {line}")
                self._echo.flush()

    def tail(self, lines: int = 30) -> str:
        return "".join(self.path.read_text(encoding="utf-8").splitlines(True)[-lines:])


class FunctionInstance:
    def __init__(
        self, function: DeployedFunction, number: int, process: subprocess.Popen[str], log: FunctionLog
    ) -> None:
        self.function = function
        self.number = number
        self.label = f"{function.logical_name}#{number}"
        self.process = process
        self._log = log
        self._port: int | None = None
        self._ready = threading.Event()
        threading.Thread(target=self._pump, name=f"log-{self.label}", daemon=True).start()

    @property
    def pid(self) -> int:
        return self.process.pid

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.startswith(READY_MARKER):
                self._port = int(line.split()[1])
                self._ready.set()
                continue
            self._log.write(self.label, line)
        # Reap the child once its output ends, so a dead instance leaves no zombie behind.
        self.process.wait()

    def wait_ready(self, timeout: float) -> None:
        """Block until the handler is imported and the instance serves; the cold start."""
        deadline = time.monotonic() + timeout
        while not self._ready.wait(0.05):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                self.process.wait(timeout=5)
                time.sleep(0.2)  # let the log pump catch the last lines
                raise FunctionStartError(
                    f"function {self.function.name} did not start (see {self._log.path}):\n{self._log.tail()}"
                )

    def alive(self) -> bool:
        return self.process.poll() is None

    def invoke(self, event: Any) -> Invocation:
        request_id = str(uuid.uuid4())
        request = urllib.request.Request(
            f"http://127.0.0.1:{self._port}" + INVOKE_PATH.format(name=self.function.name),
            data=json.dumps(event).encode(),
            method="POST",
            headers={"Content-Type": "application/json", REQUEST_ID_HEADER: request_id},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.function.timeout + _TIMEOUT_GRACE_SECONDS) as response:
                payload = json.loads(response.read() or b"null")
                failed = bool(response.headers.get("X-Amz-Function-Error"))
        except TimeoutError:
            # Lambda stops a handler at its timeout and throws the environment away.
            self.kill()
            return timed_out(request_id, self.function.timeout)
        except (OSError, http.client.HTTPException, ValueError):
            return runtime_exited(request_id, self._exit_reason())
        if failed:
            return Invocation(request_id=request_id, error=payload)
        return Invocation(request_id=request_id, result=payload)

    def _exit_reason(self) -> str:
        try:
            code = self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            # Alive but no longer answering: no use to anyone.
            self.kill()
            code = self.process.wait(timeout=5)
        if code < 0:
            return f"signal: {signal.Signals(-code).name.removeprefix('SIG').lower()}"
        return f"exit status {code}"

    def kill(self) -> None:
        # The instance runs in its own session: kill the group, so nothing it started survives.
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            self.process.kill()

    def terminate(self) -> None:
        if self.alive():
            self.process.terminate()


def launch_instance(
    function: DeployedFunction, number: int, spec_path: Path, endpoint_url: str, log: FunctionLog
) -> FunctionInstance:
    process = subprocess.Popen(
        [sys.executable, "-m", "localcloud.functions.process", str(spec_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=lambda_environment(function, endpoint_url),
        cwd=function.code_dir,
        start_new_session=True,
    )
    return FunctionInstance(function, number, process, log)
