"""A Lambda task's failure gets the error name Step Functions gives it.

AWS names a failed Lambda task after the `errorType` of the function's error payload (an
exception's class name, `Sandbox.Timedout`, `Runtime.ExitError`); a payload without one is
`Lambda.Unknown`, its cause "The cause could not be determined because Lambda did not return an
error type. Returned payload: ..."; and when Invoke itself fails, the error is `Lambda.` and the
Lambda error code (`Lambda.TooManyRequestsException` when the function is at its concurrency),
which a Retry for transient errors names. moto's interpreter calls the first case `Exception`,
and so the last one too for a task whose Resource is a function ARN (the
`arn:aws:states:::lambda:invoke` integration names it right). Both are renamed here, in the
failure event the interpreter builds, so Retry, Catch, the history and DescribeExecution agree.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from localcloud.emulator.patches import stepfunctions_executions
from localcloud.emulator.patches.moto_shape import is_patched, mark_patched, require, require_source

_PATCH = "stepfunctions_lambda_errors"
UNKNOWN = "Lambda.Unknown"
_UNKNOWN_CAUSE = "The cause could not be determined because Lambda did not return an error type. Returned payload: "


def _has_error_type(payload: str) -> bool:
    try:
        return isinstance(json.loads(payload).get("errorType"), str)
    except (ValueError, AttributeError):
        return False


def _rename(failure: Any, error: str, cause: str) -> None:
    from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName

    failure.error_name = CustomErrorName(error)
    for details in (failure.event_details or {}).values():
        details["error"] = error
        details["cause"] = cause


def apply() -> None:
    stepfunctions_executions.when_interpreter_loads(apply_now)


def apply_now() -> None:
    from botocore.exceptions import ClientError
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_lambda import (
        StateTaskServiceLambda,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_lambda import StateTaskLambda

    function_error = lambda_eval_utils.LambdaFunctionErrorException
    for task in (StateTaskLambda, StateTaskServiceLambda):
        require_source(task._from_error, _PATCH, 'error = cause_object["errorType"]', "CustomErrorName(error)")
    require_source(StateTaskLambda._from_error, _PATCH, 'error = "Exception"', "isinstance(ex, ClientError)")
    require(
        callable(getattr(StateTaskServiceLambda, "_error_cause_from_client_error", None)),
        _PATCH,
        "StateTaskServiceLambda._error_cause_from_client_error is gone",
    )

    def named(original: Callable[..., Any], *, client_errors: bool) -> Callable[..., Any]:
        def _from_error(self: Any, env: Any, ex: Exception) -> Any:
            failure = original(self, env, ex)
            if isinstance(ex, function_error) and not _has_error_type(ex.payload):
                _rename(failure, UNKNOWN, _UNKNOWN_CAUSE + ex.payload)
            elif client_errors and isinstance(ex, ClientError):
                _rename(failure, *StateTaskServiceLambda._error_cause_from_client_error(ex))
            return failure

        return mark_patched(_from_error)

    if not is_patched(StateTaskLambda._from_error):
        StateTaskLambda._from_error = named(StateTaskLambda._from_error, client_errors=True)
    if not is_patched(StateTaskServiceLambda._from_error):
        StateTaskServiceLambda._from_error = named(StateTaskServiceLambda._from_error, client_errors=False)
