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
"""

from __future__ import annotations

import os

from localcloud.emulator.patches.moto_shape import require_source

_PATCH = "stepfunctions_executions"


def apply() -> None:
    from moto.core.config import default_user_config
    from moto.stepfunctions import responses
    from moto.stepfunctions.parser.asl.utils import boto_client

    require_source(responses.get_backend, _PATCH, 'sfn_config.get("execute_state_machine", False)')
    require_source(boto_client.boto_client_for, _PATCH, 'f"http://localhost:{moto_server_port()}"')
    default_user_config["stepfunctions"] = {"execute_state_machine": True}


def listening_on(port: int) -> None:
    """Where the interpreter's task integrations call: this server (read by moto.settings)."""
    os.environ["MOTO_PORT"] = str(port)
