"""What the orchestrated saga's Step Functions execution of an order costs: its billed transitions
and what it logged (sagaStyle orchestration; under choreography an order has no execution).

Step Functions Standard bills each state entered and each retry of a task ("each retry will be
charged as an additional state transition", aws.amazon.com/step-functions/pricing/). A retry shows
in the history as a task scheduled again without its state entered again, so the retries are the
tasks scheduled less the task states entered.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from saga_client import SagaTarget

_SCHEDULED = ("LambdaFunctionScheduled", "TaskScheduled")


def billed_transitions(history: Iterable[dict[str, Any]]) -> int:
    """The state transitions Step Functions bills for an execution with this history."""
    kinds = Counter(event["type"] for event in history)
    entered = sum(count for kind, count in kinds.items() if kind.endswith("StateEntered"))
    retries = sum(kinds[kind] for kind in _SCHEDULED) - kinds["TaskStateEntered"]
    return entered + max(0, retries)


def execution_arn(saga: SagaTarget, order_id: str) -> str | None:
    """The order's execution (named after the order), if the stack orchestrates its saga."""
    orchestrator = saga.outputs.get("orchestrator")
    if not orchestrator:
        return None
    return orchestrator["stateMachineArn"].replace(":stateMachine:", ":execution:") + f":{order_id}"


def history(saga: SagaTarget, order_id: str) -> list[dict[str, Any]]:
    """The order's execution history; none under choreography."""
    arn = execution_arn(saga, order_id)
    if arn is None:
        return []
    events: list[dict[str, Any]] = []
    for page in saga.client("stepfunctions").get_paginator("get_execution_history").paginate(executionArn=arn):
        events += page["events"]
    return events


def log_messages(saga: SagaTarget, order_id: str) -> list[str]:
    """What the order's execution wrote to the state machine's log group (CloudWatch Logs ingestion)."""
    orchestrator = saga.outputs.get("orchestrator")
    if not orchestrator:
        return []
    logs = saga.client("logs")
    # Each line names its execution's ARN, which ends in the order's id.
    kwargs = {"logGroupName": orchestrator["executionLogGroup"], "filterPattern": f'"{order_id}"'}
    messages: list[str] = []
    while True:
        page = logs.filter_log_events(**kwargs)
        messages += [entry["message"] for entry in page.get("events", [])]
        if not page.get("nextToken"):
            return messages
        kwargs["nextToken"] = page["nextToken"]
