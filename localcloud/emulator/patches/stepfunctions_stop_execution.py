"""StopExecution keeps its error and cause, and answers its stopDate, as Step Functions does.

moto stops the execution with an empty error and cause whatever the request gave (so the
history's ExecutionAborted event says nothing of why), and answers before its interpreter has
set a stop date, so the answer lacks the stopDate AWS always gives.
"""

from __future__ import annotations

from typing import Any

from localcloud.emulator.patches.moto_shape import is_patched, mark_patched, require_source

_PATCH = "stepfunctions_stop_execution"


def apply() -> None:
    from moto.core.responses import ActionResult
    from moto.core.utils import utcnow
    from moto.stepfunctions import models
    from moto.stepfunctions.responses import StepFunctionResponse

    original = StepFunctionResponse.stop_execution
    if is_patched(original):
        return
    require_source(original, _PATCH, "self.stepfunction_backend.stop_execution(arn)")
    require_source(models.StateMachine.stop_execution, _PATCH, 'execution.stop(stop_date=utcnow(), error="", cause="")')

    def stop_execution(self: Any) -> Any:
        arn = self._get_param("executionArn")
        # Raises ExecutionDoesNotExist (or a validation error) as moto's own StopExecution does.
        execution = self.stepfunction_backend.describe_execution(arn)
        stop_date = utcnow()
        execution.stop(stop_date=stop_date, error=self._get_param("error"), cause=self._get_param("cause"))
        return ActionResult({"stopDate": stop_date})

    StepFunctionResponse.stop_execution = mark_patched(stop_execution)
