"""`$$.Execution.StartTime` is an ISO 8601 string, as in Step Functions' context object.

moto hands the interpreter the execution's start as a datetime, so a state that reads it
(`"placedAt.$": "$$.Execution.StartTime"`) puts an object JSON cannot hold into the execution's
data: the execution's output, and DescribeExecution with it, then fail (HTTP 500).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from localcloud.emulator.patches import stepfunctions_executions
from localcloud.emulator.patches.moto_shape import is_patched, mark_patched, require_source

_PATCH = "stepfunctions_context_start_time"


def iso_8601(moment: datetime) -> str:
    """As Step Functions writes it: UTC, milliseconds, Z (2026-12-03T12:00:00.123Z)."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def apply() -> None:
    stepfunctions_executions.when_interpreter_loads(apply_now)


def apply_now() -> None:
    from moto.stepfunctions.parser.asl.eval.evaluation_details import ExecutionDetails
    from moto.stepfunctions.parser.backend.execution import Execution
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    original = ExecutionDetails.__init__
    if is_patched(original):
        return
    require_source(Execution.get_start_execution_details, _PATCH, "start_time=self.start_date")
    require_source(
        ExecutionWorker._get_evaluation_environment,
        _PATCH,
        "StartTime=self._evaluation_details.execution_details.start_time",
    )

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        if isinstance(self.start_time, datetime):
            self.start_time = iso_8601(self.start_time)

    ExecutionDetails.__init__ = mark_patched(__init__)
