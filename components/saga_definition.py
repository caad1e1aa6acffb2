"""The orchestrated saga's Amazon States Language definition, built from the catalog's steps.

Reserve → Charge → Book shipment → Award points → Confirm, each a Lambda task of its context
(`<context>.task.handle`, the contract in lambdas/saga_events/tasks.py). Every task state retries
the transient errors (Lambda's own, a task timeout, the context's named ones) with backoff and full
jitter. A business failure of step N is caught and runs the compensations of steps N-1 … 1 in
reverse, then cancels the order; any other failure, once its retries are spent, runs step N's own
compensation first too (its effect may have happened: a charge whose answer was lost).
Plain Python, no Pulumi: the component hands it the functions' ARNs.
"""

from collections.abc import Mapping
from typing import Any

from components.settings import TaskRetry
from contracts.catalog import Orchestration, SagaStep

LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"
# Lambda's own transient errors as Step Functions reports them, a task that ran past its
# TimeoutSeconds, and a sandbox that died mid-task (killed, out of memory, past the function's
# timeout: Lambda names these after the runtime's error, or Lambda.Unknown when it had none). Its
# side effect may have happened (a charge made, its answer never sent): asking again is safe
# because every task is idempotent by its writes, and gets the answer the first attempt lost.
TRANSIENT_ERRORS = (
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
    "States.Timeout",
    "Lambda.Unknown",
    "Runtime.ExitError",
    "Sandbox.Timedout",
)
FAILURE_PATH = "$.failure"
CANCELLED_STATE = "OrderCancelled"
CONFIRMED_STATE = "OrderConfirmed"


def undo_state(step: SagaStep) -> str:
    return f"Undo{step.name}"


def saga_definition(
    orchestration: Orchestration,
    task_arns: Mapping[str, str],
    retry: TaskRetry,
    task_timeout_seconds: int,
) -> dict[str, Any]:
    """The state machine's definition; `task_arns` maps each context to its task function's ARN."""
    steps = orchestration.steps
    compensated = [step for step in steps if step.compensation]
    cancel = orchestration.cancellation

    def task(step: SagaStep, action: str, result_path: str, next_state: str) -> dict[str, Any]:
        return {
            "Type": "Task",
            "Resource": LAMBDA_INVOKE,
            "Parameters": {"FunctionName": task_arns[step.context], "Payload": {"action": action, "saga.$": "$"}},
            # The function's answer alone, not Lambda's invocation metadata.
            "ResultSelector": {"outcome.$": "$.Payload"},
            "ResultPath": result_path,
            "TimeoutSeconds": task_timeout_seconds,
            "Retry": [
                {
                    "ErrorEquals": [*TRANSIENT_ERRORS, *step.retry],
                    "IntervalSeconds": retry.interval_seconds,
                    "BackoffRate": retry.backoff_rate,
                    "MaxAttempts": retry.max_attempts,
                    "MaxDelaySeconds": retry.max_delay_seconds,
                    "JitterStrategy": "FULL",
                }
            ],
            "Next": next_state,
        }

    def undo_from(index: int) -> str:
        """Where compensating starts once steps[0:index] are done: the last of them that has one."""
        done = [step for step in steps[:index] if step.compensation]
        return undo_state(done[-1]) if done else cancel.name

    states: dict[str, Any] = {}
    for index, step in enumerate(steps):
        following = steps[index + 1].name if index + 1 < len(steps) else CONFIRMED_STATE
        state = task(step, step.action, f"$.{step.name}", following)
        state["Catch"] = [
            # Nothing of this step happened: undo the steps before it.
            {"ErrorEquals": list(step.caught), "ResultPath": FAILURE_PATH, "Next": undo_from(index)},
            # Retries spent or a crash: this step's effect may stand, so it is undone too.
            {"ErrorEquals": ["States.ALL"], "ResultPath": FAILURE_PATH, "Next": undo_from(index + 1)},
        ]
        states[step.name] = state
    for position, step in enumerate(compensated):
        # Reverse order: each compensation hands over to the one of the step before it.
        following = undo_state(compensated[position - 1]) if position > 0 else cancel.name
        assert step.compensation is not None
        states[undo_state(step)] = task(step, step.compensation, f"$.{undo_state(step)}", following)
    states[cancel.name] = task(cancel, cancel.action, f"$.{cancel.name}", CANCELLED_STATE)
    states[CONFIRMED_STATE] = {"Type": "Succeed"}
    # The execution fails with what made it cancel (PaymentDeclined, SagaInputInvalid, ...), so the
    # execution list says why without opening its history; the order's reason says the same.
    states[CANCELLED_STATE] = {
        "Type": "Fail",
        "ErrorPath": f"{FAILURE_PATH}.Error",
        "CausePath": f"{FAILURE_PATH}.Cause",
    }
    return {
        "Comment": "The order saga, orchestrated: each step a task of its context, compensated in reverse.",
        "StartAt": steps[0].name,
        "States": states,
    }
