"""One instance of a Lambda function in its own process: `python -m localcloud.functions.process <spec.json>`.

The host sets the environment Lambda would set; this module puts the unpacked
code first on sys.path, imports the handler (a failure here is the cold-start
error), serves invocations one at a time, prints the ready line, and runs until
SIGTERM. Event sources live in the host, which hands this instance its batches.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from localcloud.functions.instance import READY_MARKER
from localcloud.functions.invoke_api import Invocable, serve_invocations
from localcloud.lambda_runtime.invoker import FunctionInvoker, Invocation, load_handler
from localcloud.processes import exit_with_parent
from localcloud.provisioning.deployment import DeployedFunction


def _lambda_sys_path(code_dir: str, hidden: list[str]) -> None:
    # Lambda puts the task root first; the project's own folders are not in the zip.
    hidden_paths = {str(Path(p).resolve()) for p in hidden} | {"", os.getcwd()}
    kept = [p for p in sys.path if p and str(Path(p).resolve()) not in hidden_paths]
    sys.path[:] = [code_dir, *kept]


def run(spec: dict[str, Any]) -> None:
    function = DeployedFunction(**spec["function"])
    os.chdir(function.code_dir)
    _lambda_sys_path(function.code_dir, spec.get("hidden_paths", []))
    invoker = FunctionInvoker(
        handler=load_handler(function.handler),
        function_name=function.name,
        function_arn=function.arn,
        memory_size=function.memory_size,
        timeout_seconds=function.timeout,
        log_group_name=function.log_group,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    exit_with_parent(stop.set)
    names = {function.name, function.logical_name, function.arn}

    def invoke(event: Any, request_id: str | None, wait: bool) -> Invocation:
        return invoker.invoke(event, request_id)

    def find(name: str) -> Invocable | None:
        return invoke if name in names else None

    server = serve_invocations(find)
    print(f"{READY_MARKER} {server.server_address[1]}", flush=True)
    stop.wait()
    server.shutdown()


def main() -> None:
    spec = json.loads(Path(sys.argv[1]).read_text())
    run(spec)


if __name__ == "__main__":
    main()
