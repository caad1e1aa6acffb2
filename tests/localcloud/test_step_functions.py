"""State machines deployed by a Pulumi program really run on the embedded cloud: moto's ASL
interpreter executes them and their Lambda tasks run on the function host, with the results,
error names, retries, history and execution status Step Functions gives."""

import json
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from localcloud import EmbeddedCloud
from localcloud.emulator.clients import client
from tests.localcloud.conftest import FIXTURES

pytestmark = pytest.mark.xdist_group("step-functions")

MUGS = {"currency": "EUR", "lines": [{"sku": "MUG-RED", "quantity": 2, "unitPrice": 1250}]}


@pytest.fixture(scope="module")
def sfn_cloud() -> Iterator[EmbeddedCloud]:
    with EmbeddedCloud.start(FIXTURES / "sfn_mini", stack="dev") as running:
        yield running


@pytest.fixture(scope="module")
def sfn(sfn_cloud: EmbeddedCloud) -> Any:
    return client("stepfunctions", sfn_cloud.endpoint_url)


@pytest.fixture(scope="module")
def machines(sfn_cloud: EmbeddedCloud) -> dict[str, str]:
    return sfn_cloud.outputs["stateMachines"]


@pytest.fixture(scope="module")
def functions(sfn_cloud: EmbeddedCloud) -> dict[str, str]:
    return sfn_cloud.outputs["functions"]


def run(sfn: Any, machine_arn: str, execution_input: dict[str, Any], timeout: float = 60) -> dict[str, Any]:
    """Start an execution and wait until it is no longer RUNNING; DescribeExecution's answer."""
    arn = sfn.start_execution(stateMachineArn=machine_arn, name=uuid.uuid4().hex, input=json.dumps(execution_input))[
        "executionArn"
    ]
    return _finished(sfn, arn, timeout)


def _finished(sfn: Any, arn: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while (described := sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
        assert time.monotonic() < deadline, f"execution {arn} still RUNNING after {timeout} s"
        time.sleep(0.05)
    return described


def history(sfn: Any, execution_arn: str) -> list[dict[str, Any]]:
    return sfn.get_execution_history(executionArn=execution_arn)["events"]


def entered_states(events: list[dict[str, Any]]) -> list[str]:
    return [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]


def test_the_program_deploys_its_state_machines_with_role_and_logging(sfn, machines, sfn_cloud):
    described = sfn.describe_state_machine(stateMachineArn=machines["orderFlow"])

    assert described["status"] == "ACTIVE" and described["type"] == "STANDARD"
    assert json.loads(described["definition"])["StartAt"] == "Price"
    assert ":role/machine-role-" in described["roleArn"]
    logging = described["loggingConfiguration"]
    assert logging["level"] == "ALL" and logging["includeExecutionData"] is True
    [destination] = logging["destinations"]
    assert destination["cloudWatchLogsLogGroup"]["logGroupArn"].endswith(f"{sfn_cloud.outputs['executionsLogGroup']}:*")


def test_lambda_tasks_run_the_functions_and_each_result_flows_into_the_next_state(sfn, machines):
    described = run(sfn, machines["orderFlow"], MUGS)

    assert described["status"] == "SUCCEEDED", described
    output = json.loads(described["output"])
    # Price (a function ARN as Resource) wrote its result at ResultPath; Reserve (lambda:invoke)
    # got that as its payload, and its ResultSelector picked from Lambda's answer.
    assert output["priced"] == {"total": 2500, "currency": "EUR"}
    assert output["reservation"] == {"skus": ["MUG-RED"]}
    assert output["lines"] == MUGS["lines"]


def test_the_history_lists_each_state_and_its_lambda_calls_in_order(sfn, machines, functions):
    described = run(sfn, machines["orderFlow"], MUGS)
    events = history(sfn, described["executionArn"])
    types = [e["type"] for e in events]

    assert entered_states(events) == ["Price", "Reserve", "Confirmed"]
    assert types[0] == "ExecutionStarted" and types[-1] == "ExecutionSucceeded"
    assert types[1:6] == [
        "TaskStateEntered",
        "LambdaFunctionScheduled",
        "LambdaFunctionStarted",
        "LambdaFunctionSucceeded",
        "TaskStateExited",
    ]
    [scheduled] = [e for e in events if e["type"] == "LambdaFunctionScheduled"]
    assert scheduled["lambdaFunctionScheduledEventDetails"]["resource"] == functions["price"]
    [invoked] = [e for e in events if e["type"] == "TaskSucceeded"]
    details = invoked["taskSucceededEventDetails"]
    assert (details["resourceType"], details["resource"]) == ("lambda", "invoke")
    # Lambda's answer as the lambda:invoke integration hands it on (AWS adds SdkHttpMetadata and
    # SdkResponseMetadata, which moto leaves out: a definition selects $.Payload).
    assert json.loads(details["output"]) == {
        "StatusCode": 200,
        "ExecutedVersion": "$LATEST",
        "Payload": {"reserved": ["MUG-RED"]},
    }
    ids = [e["id"] for e in events]
    assert ids == list(range(1, len(events) + 1))


def test_a_named_error_is_caught_by_its_name_with_the_message_in_its_cause(sfn, machines):
    unknown = {**MUGS, "lines": [{"sku": "UNKNOWN-1", "quantity": 1, "unitPrice": 100}]}

    described = run(sfn, machines["orderFlow"], unknown)

    assert described["status"] == "FAILED"
    # The Catch sent it to the Fail state, which names its own error and cause.
    assert (described["error"], described["cause"]) == ("OrderRejected", "a line is out of stock")
    events = history(sfn, described["executionArn"])
    assert entered_states(events) == ["Price", "Reserve", "Rejected"]
    [failed] = [e for e in events if e["type"] == "TaskFailed"]
    details = failed["taskFailedEventDetails"]
    assert details["error"] == "OutOfStock"
    cause = json.loads(details["cause"])
    assert cause["errorType"] == "OutOfStock" and cause["errorMessage"] == "no stock for UNKNOWN-1"
    # What the Catch handed on at its ResultPath: Error and Cause, as Step Functions shapes them.
    [rejected] = [e for e in events if e.get("stateEnteredEventDetails", {}).get("name") == "Rejected"]
    failure = json.loads(rejected["stateEnteredEventDetails"]["input"])["failure"]
    assert failure["Error"] == "OutOfStock"
    assert json.loads(failure["Cause"])["errorMessage"] == "no stock for UNKNOWN-1"


def _attempt_times(events: list[dict[str, Any]]) -> list[float]:
    scheduled = [e["timestamp"] for e in events if e["type"] == "LambdaFunctionScheduled"]
    return [(t - scheduled[0]) / timedelta(seconds=1) for t in scheduled]


def test_retry_invokes_again_after_each_interval_times_the_backoff_rate(sfn, machines):
    charge = {"chargeId": uuid.uuid4().hex, "failFirst": 2, "amount": 2500}

    described = run(sfn, machines["charging"], charge)

    assert described["status"] == "SUCCEEDED", described
    # The function counted its own attempts: two failures, then the one that went through.
    assert json.loads(described["output"]) == {"charged": 2500, "attempt": 3}
    events = history(sfn, described["executionArn"])
    assert [e["type"] for e in events].count("LambdaFunctionFailed") == 2
    first, second, third = _attempt_times(events)
    # IntervalSeconds 1, BackoffRate 2: the retries wait 1 s, then 2 s (loosely: a shared machine).
    assert 0.9 <= second - first < 2.0
    assert 1.9 <= third - second < 3.5


def test_retries_exhausted_the_execution_fails_with_the_last_error_and_cause(sfn, machines):
    charge = {"chargeId": uuid.uuid4().hex, "failFirst": 5, "amount": 2500}

    described = run(sfn, machines["charging"], charge)

    assert described["status"] == "FAILED"
    assert described["error"] == "GatewayUnavailable"
    # MaxAttempts 2: three attempts in all, the third one's message in the cause.
    assert json.loads(described["cause"])["errorMessage"] == "attempt 3: gateway unavailable"
    assert [e["type"] for e in history(sfn, described["executionArn"])][-1] == "ExecutionFailed"


def test_a_function_past_its_timeout_fails_the_task_with_lambdas_error_name(sfn, machines, functions):
    started = time.monotonic()
    described = run(sfn, machines["uncaught"], {"function": functions["stall"], "seconds": 30})

    # The function's timeout is 1 s: Lambda stops it, not the 30 s it asked for.
    assert time.monotonic() - started < 10
    assert described["status"] == "FAILED"
    assert described["error"] == "Sandbox.Timedout"
    assert "Task timed out after 1.00 seconds" in json.loads(described["cause"])["errorMessage"]


def test_a_crashed_function_fails_the_task_as_runtime_exit_error(sfn, machines, functions):
    described = run(sfn, machines["uncaught"], {"function": functions["crash"]})

    assert described["status"] == "FAILED"
    assert described["error"] == "Runtime.ExitError"
    assert "Runtime exited with error: exit status 3" in json.loads(described["cause"])["errorMessage"]


@pytest.mark.parametrize("function, error", [("stall", "Sandbox.Timedout"), ("crash", "Runtime.ExitError")])
def test_states_task_failed_catches_a_timeout_and_a_crash(sfn, machines, functions, function, error):
    described = run(sfn, machines["caught"], {"function": functions[function], "seconds": 30})

    assert described["status"] == "SUCCEEDED", described
    assert json.loads(described["output"])["failure"]["Error"] == error


def test_a_task_naming_no_deployed_function_fails_with_lambdas_resource_not_found(sfn, machines, functions):
    missing = functions["price"].rsplit(":", 1)[0] + ":no-such-function"

    described = run(sfn, machines["uncaught"], {"function": missing})

    assert described["status"] == "FAILED"
    assert described["error"] == "Lambda.ResourceNotFoundException"
    assert described["cause"].startswith(f"Function not found: {missing} (Service: AWSLambda; Status Code: 404;")


def test_an_execution_logs_each_history_event_to_the_state_machines_log_group(sfn, machines, sfn_cloud):
    described = run(sfn, machines["orderFlow"], MUGS)
    logs = client("logs", sfn_cloud.endpoint_url)
    group = sfn_cloud.outputs["executionsLogGroup"]

    pages = logs.get_paginator("filter_log_events").paginate(logGroupName=group)
    entries = [e for page in pages for e in page["events"]]
    mine = [e for e in entries if json.loads(e["message"])["execution_arn"] == described["executionArn"]]
    lines = [json.loads(e["message"]) for e in mine]
    events = history(sfn, described["executionArn"])
    # Level ALL: every event of the history, in Step Functions' log shape.
    assert [line["type"] for line in lines] == [e["type"] for e in events]
    assert [line["id"] for line in lines] == [str(e["id"]) for e in events]
    first, last = lines[0], lines[-1]
    assert first["type"] == "ExecutionStarted" and json.loads(first["details"]["input"]) == MUGS
    assert last["type"] == "ExecutionSucceeded"
    assert int(last["event_timestamp"]) == int(events[-1]["timestamp"].timestamp() * 1000)
    # A log stream of its own, named after its state machine.
    [stream] = {e["logStreamName"] for e in mine}
    assert stream.startswith("states/order-flow-")
    assert not [e for e in entries if e["logStreamName"] == stream and e not in mine]


def test_a_task_beyond_its_functions_concurrency_is_throttled_and_retried(sfn, machines):
    # The packing function runs one instance at most (reserved concurrency 1): of two executions
    # at once, one task is throttled (Lambda.TooManyRequestsException) and its Retry goes through.
    arns = [
        sfn.start_execution(stateMachineArn=machines["packing"], input=json.dumps({"parcel": n, "seconds": 0.6}))[
            "executionArn"
        ]
        for n in (1, 2)
    ]
    described = [_finished(sfn, arn) for arn in arns]

    assert [d["status"] for d in described] == ["SUCCEEDED", "SUCCEEDED"], described
    assert sorted(json.loads(d["output"])["packed"] for d in described) == [1, 2]
    failures = [
        e["taskFailedEventDetails"]["error"] for arn in arns for e in history(sfn, arn) if e["type"] == "TaskFailed"
    ]
    assert failures and set(failures) == {"Lambda.TooManyRequestsException"}
