"""Where moto's ASL interpreter differs from Step Functions and the fixes in
localcloud/emulator/patches/stepfunctions_*.py make it agree: unnamed executions, and the error
names of Lambda tasks whose function answers without an error type or whose Invoke fails
(throttled). Lambda here is a stand-in that answers as told, registered as the function host."""

import json
import re
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from localcloud.emulator.clients import client
from localcloud.emulator.lambda_forwarding import register_lambda_endpoint
from localcloud.emulator.patches import stepfunctions_task_clients

REPO_ROOT = Path(__file__).resolve().parents[2]
FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:stand-in"
ROLE_ARN = "arn:aws:iam::123456789012:role/machine"


class StandInLambda(ThreadingHTTPServer):
    """Lambda's Invoke API answering each call with the next of `answers` (status, headers, body)."""

    daemon_threads = True

    def __init__(self) -> None:
        self.answers: list[tuple[int, dict[str, str], Any]] = []
        self.calls = 0
        server = self

        class Invoke(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, headers, body = server.answers[min(server.calls, len(server.answers) - 1)]
                server.calls += 1
                payload = json.dumps(body).encode()
                self.send_response(status)
                answer = {"X-Amzn-RequestId": str(uuid.uuid4()), **headers, "Content-Length": str(len(payload))}
                for key, value in answer.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *_: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Invoke)


@pytest.fixture
def stand_in(bare_moto: str) -> Iterator[StandInLambda]:
    server = StandInLambda()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    register_lambda_endpoint(bare_moto, f"http://127.0.0.1:{server.server_address[1]}")
    yield server
    register_lambda_endpoint(bare_moto, None)
    server.shutdown()
    server.server_close()


@pytest.fixture
def sfn(bare_moto: str) -> Any:
    return client("stepfunctions", bare_moto)


def machine(sfn: Any, task: dict[str, Any]) -> str:
    definition = {"StartAt": "Task", "States": {"Task": {"Type": "Task", "End": True, **task}}}
    return sfn.create_state_machine(
        name=f"m-{uuid.uuid4().hex[:8]}", definition=json.dumps(definition), roleArn=ROLE_ARN
    )["stateMachineArn"]


def finished(sfn: Any, execution_arn: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while (described := sfn.describe_execution(executionArn=execution_arn))["status"] == "RUNNING":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    return described


BY_ARN = {"Resource": FUNCTION_ARN}
BY_INVOKE = {
    "Resource": "arn:aws:states:::lambda:invoke",
    "Parameters": {"FunctionName": FUNCTION_ARN, "Payload.$": "$"},
}
UNHANDLED = {"X-Amz-Function-Error": "Unhandled"}
THROTTLED = (
    429,
    {"x-amzn-ErrorType": "TooManyRequestsException"},
    {"Reason": "ReservedFunctionConcurrentInvocationLimitExceeded", "Type": "User", "message": "Rate Exceeded."},
)


def test_an_execution_started_without_a_name_is_named_with_a_uuid(sfn, stand_in):
    stand_in.answers = [(200, {}, {"ok": True})]
    arn = machine(sfn, BY_ARN)

    first = sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
    second = sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]

    assert first != second
    for execution in (first, second):
        name = finished(sfn, execution)["name"]
        assert str(uuid.UUID(name)) == name and execution.endswith(f":{name}")


@pytest.mark.parametrize("task", [BY_ARN, BY_INVOKE], ids=["function-arn", "lambda-invoke"])
def test_a_function_error_without_an_error_type_is_lambda_unknown(sfn, stand_in, task):
    stand_in.answers = [(200, UNHANDLED, {"errorMessage": "Process exited before completing request"})]

    described = finished(sfn, sfn.start_execution(stateMachineArn=machine(sfn, task), input="{}")["executionArn"])

    assert described["status"] == "FAILED"
    assert described["error"] == "Lambda.Unknown"
    assert described["cause"] == (
        "The cause could not be determined because Lambda did not return an error type. "
        'Returned payload: {"errorMessage":"Process exited before completing request"}'
    )


@pytest.mark.parametrize("task", [BY_ARN, BY_INVOKE], ids=["function-arn", "lambda-invoke"])
def test_a_throttled_invoke_is_lambda_too_many_requests_and_its_retry_goes_through(sfn, stand_in, task):
    stand_in.answers = [THROTTLED, (200, {}, {"charged": True})]
    retry = {"Retry": [{"ErrorEquals": ["Lambda.TooManyRequestsException"], "IntervalSeconds": 1, "MaxAttempts": 1}]}

    described = finished(
        sfn, sfn.start_execution(stateMachineArn=machine(sfn, {**task, **retry}), input="{}")["executionArn"]
    )

    assert described["status"] == "SUCCEEDED", described
    assert stand_in.calls == 2
    events = sfn.get_execution_history(executionArn=described["executionArn"])["events"]
    [failed] = [e for e in events if e["type"] in ("LambdaFunctionFailed", "TaskFailed")]
    details = failed.get("lambdaFunctionFailedEventDetails") or failed["taskFailedEventDetails"]
    assert details["error"] == "Lambda.TooManyRequestsException"
    assert details["cause"].startswith("Rate Exceeded. (Service: AWSLambda; Status Code: 429;")


def test_the_context_objects_start_time_is_an_iso_8601_string(sfn):
    context = {"startedAt.$": "$$.Execution.StartTime", "execution.$": "$$.Execution.Name"}
    arn = machine(sfn, {"Type": "Pass", "Parameters": context})
    execution = sfn.start_execution(stateMachineArn=arn, name="order-1", input="{}")

    described = finished(sfn, execution["executionArn"])

    assert described["status"] == "SUCCEEDED", described
    output = json.loads(described["output"])
    assert output["execution"] == "order-1"
    # As Step Functions writes it (2026-12-03T12:00:00.123Z), and the execution's own start.
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", output["startedAt"])
    started = datetime.fromisoformat(output["startedAt"].replace("Z", "+00:00"))
    assert abs(started - described["startDate"]) < timedelta(milliseconds=2)


def test_stop_execution_aborts_a_running_execution_at_once(sfn):
    arn = machine(sfn, {"Type": "Wait", "Seconds": 30})
    execution = sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]

    stopped = sfn.stop_execution(executionArn=execution, error="CustomerCancelled", cause="the customer cancelled")

    described = finished(sfn, execution)
    assert described["status"] == "ABORTED"
    assert described["startDate"] <= stopped["stopDate"] <= described["stopDate"]
    events = sfn.get_execution_history(executionArn=execution)["events"]
    assert [e["type"] for e in events] == ["ExecutionStarted", "WaitStateEntered", "ExecutionAborted"]
    # Why it stopped, as the request said.
    assert events[-1]["executionAbortedEventDetails"] == {
        "error": "CustomerCancelled",
        "cause": "the customer cancelled",
    }


def test_task_states_share_one_client_per_service_and_region(monkeypatch):
    # In this process, as in the moto server (and undone afterwards): the fix changes what a task
    # costs, not what it does.
    import moto.stepfunctions.parser.models  # noqa: F401  (binds boto_client_for in every integration)

    for module in [m for m in list(sys.modules.values()) if hasattr(m, "boto_client_for")]:
        monkeypatch.setattr(module, "boto_client_for", module.boto_client_for)
    stepfunctions_task_clients.apply_now()
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service_dynamodb

    first = lambda_eval_utils.boto_client_for(region="us-east-1", service="lambda")
    assert lambda_eval_utils.boto_client_for(region="us-east-1", service="lambda", state_credentials=object()) is first
    assert state_task_service_dynamodb.boto_client_for(region="us-east-1", service="dynamodb") is not first
    assert lambda_eval_utils.boto_client_for(region="eu-central-1", service="lambda") is not first


def test_the_fixes_leave_the_interpreter_unimported_until_step_functions_is_used():
    # Its import takes seconds; a moto server (every test's, every run's) starts without it.
    probe = (
        "import sys; from localcloud.emulator import patches; patches.apply(); "
        "print(sorted(m for m in sys.modules if m.startswith('moto.stepfunctions.parser.asl.parse')))"
    )
    found = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=REPO_ROOT)

    assert found.stdout.strip() == "[]", found.stdout + found.stderr
