"""Step Functions executions really run, their Lambda tasks on the function host.

Stock moto keeps state machines and answers StartExecution, but runs nothing unless its
`stepfunctions.execute_state_machine` setting is on; then its ASL interpreter
(moto.stepfunctions.parser) runs each execution on a thread of this server: Pass, Choice, Wait,
Task, Parallel, Map, Retry, Catch, with the execution's history. A task state calls AWS through a
boto3 client the interpreter makes for `http://localhost:{MOTO_PORT}` (moto's own setting for
where its server listens). `listening_on(port)` sets that to this server's port once it is bound,
so a Lambda task's Invoke (`arn:aws:states:::lambda:invoke` or a function ARN as Resource) arrives
here signed for Lambda and lambda_forwarding passes it to the function host like any other Invoke;
every other task integration (DynamoDB, SNS, SQS, EventBridge, aws-sdk) reaches moto's own API.

The interpreter takes seconds to import (its ANTLR parser), more than the rest of the server's
start, and most stacks never use it: so the fixes to it (the other stepfunctions_* modules) are
applied, and their checks of moto's shape made, when the server first serves Step Functions
(`when_interpreter_loads`), before the interpreter runs anything.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

from localcloud.emulator.patches.moto_shape import is_patched, mark_patched, require_source

_PATCH = "stepfunctions_executions"
_fixes: list[Callable[[], None]] = []
_loaded = threading.Event()
_loading = threading.Lock()


def when_interpreter_loads(fix: Callable[[], None]) -> None:
    """Apply `fix` before the server first serves Step Functions (at once if it already has)."""
    with _loading:
        if _loaded.is_set():
            fix()
        else:
            _fixes.append(fix)


def apply() -> None:
    from moto.core.config import default_user_config
    from moto.stepfunctions import responses

    original = responses.get_backend
    if is_patched(original):
        return
    require_source(original, _PATCH, 'sfn_config.get("execute_state_machine", False)')
    default_user_config["stepfunctions"] = {"execute_state_machine": True}

    def get_backend(account: str, region: str) -> object:
        if not _loaded.is_set():
            with _loading:
                if not _loaded.is_set():
                    _check_task_endpoint()
                    for fix in _fixes:
                        fix()
                    _loaded.set()
        return original(account, region)

    responses.get_backend = mark_patched(get_backend)


def _check_task_endpoint() -> None:
    from moto.stepfunctions.parser.asl.utils import boto_client

    require_source(boto_client.boto_client_for, _PATCH, 'f"http://localhost:{moto_server_port()}"')


def listening_on(port: int) -> None:
    """Where the interpreter's task integrations call: this server (read by moto.settings)."""
    os.environ["MOTO_PORT"] = str(port)
