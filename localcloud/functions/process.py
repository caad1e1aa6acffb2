"""One Lambda function in its own process: `python -m localcloud.functions.process <spec.json>`.

The parent (FunctionHost) sets the environment Lambda would set; this module
puts the unpacked code first on sys.path, imports the handler (a failure here
is the cold-start error), starts the event source pollers and the invoke
endpoint, prints the ready line, and runs until SIGTERM.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from localcloud.event_sources.dynamodb_stream import StreamPoller
from localcloud.event_sources.sqs import SqsPoller
from localcloud.event_sources.switch import MappingSwitch
from localcloud.functions.host import READY_MARKER
from localcloud.functions.invoke_api import serve_invocations
from localcloud.lambda_runtime.invoker import FunctionInvoker, load_handler
from localcloud.processes import exit_with_parent
from localcloud.provisioning.deployment import EventSourceMappingSpec, FunctionSpec


def _lambda_sys_path(code_dir: str, hidden: list[str]) -> None:
    # Lambda puts the task root first; the project's own folders are not in the zip.
    hidden_paths = {str(Path(p).resolve()) for p in hidden} | {"", os.getcwd()}
    kept = [p for p in sys.path if p and str(Path(p).resolve()) not in hidden_paths]
    sys.path[:] = [code_dir, *kept]


def run(spec: dict[str, Any]) -> None:
    function = FunctionSpec(**spec["function"])
    mappings = [EventSourceMappingSpec(**m) for m in spec["mappings"]]
    endpoint_url = spec["endpoint_url"]
    retry_delay = int(spec.get("retry_delay_seconds", 1))
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
    pollers: list[threading.Thread] = []
    switch = MappingSwitch()
    for mapping in mappings:
        if not mapping.enabled:
            continue
        if mapping.source_type == "sqs":
            pollers.append(SqsPoller(mapping, invoker, endpoint_url, stop, retry_delay, switch))
        else:
            pollers.append(StreamPoller(mapping, invoker, function.arn, endpoint_url, stop, retry_delay, switch))
    server = serve_invocations(invoker, {function.name, function.logical_name, function.arn}, switch)
    for poller in pollers:
        poller.start()
    print(f"{READY_MARKER} {server.server_address[1]}", flush=True)
    stop.wait()
    server.shutdown()


def main() -> None:
    spec = json.loads(Path(sys.argv[1]).read_text())
    run(spec)


if __name__ == "__main__":
    main()
