"""The interpreter's task states reuse one boto3 client per service and region.

moto's ASL interpreter builds a new boto3 client for every task it runs (`boto_client_for`),
about 12 ms of the moto server's CPU per Lambda task, more than the Invoke itself. The client it
builds depends on nothing but the service, the region and where this server listens (the
credentials it is given go unused), and boto3 clients are safe to share between threads, so one
is kept per (service, region, endpoint). Behaviour is unchanged; only the cost goes.
"""

from __future__ import annotations

import inspect
import sys
import threading
from typing import Any

from localcloud.emulator.patches import stepfunctions_executions
from localcloud.emulator.patches.moto_shape import is_patched, mark_patched, require, require_source

_PATCH = "stepfunctions_task_clients"


def apply() -> None:
    stepfunctions_executions.when_interpreter_loads(apply_now)


def apply_now() -> None:
    # Importing the backend imports every task integration, each binding boto_client_for by name.
    import moto.stepfunctions.parser.models  # noqa: F401
    from moto.settings import moto_server_port
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
    from moto.stepfunctions.parser.asl.utils import boto_client

    original = boto_client.boto_client_for
    if is_patched(original):
        return
    require_source(original, _PATCH, "def boto_client_for(region: str, service: str, state_credentials: Any = None)")
    # Named once, in its signature: the client it builds does not depend on the credentials.
    require(inspect.getsource(original).count("state_credentials") == 1, _PATCH, "boto_client_for uses its credentials")
    clients: dict[tuple[str, str, bool, str], Any] = {}
    lock = threading.Lock()

    def boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        key = (service, region, boto_client.botocore_stubber.enabled, moto_server_port())
        with lock:
            if key not in clients:
                clients[key] = original(region=region, service=service, state_credentials=state_credentials)
            return clients[key]

    cached = mark_patched(boto_client_for)
    for module in list(sys.modules.values()):
        if module is not None and getattr(module, "boto_client_for", None) is original:
            module.boto_client_for = cached
    require(lambda_eval_utils.boto_client_for is cached, _PATCH, "Lambda tasks do not call boto_client_for any more")
