"""StartExecution without a name: AWS names the execution with a UUID; moto names it `None`.

moto builds the execution's ARN from the name as given, so every unnamed execution of a state
machine would be `...:execution:<machine>:None`, and the second one a repeat of the first.
"""

from __future__ import annotations

import uuid
from typing import Any

from localcloud.emulator.patches import stepfunctions_executions
from localcloud.emulator.patches.moto_shape import is_patched, mark_patched, require_source

_PATCH = "stepfunctions_execution_names"


def apply() -> None:
    stepfunctions_executions.when_interpreter_loads(apply_now)


def apply_now() -> None:
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    original = StepFunctionsParserBackend.start_execution
    if is_patched(original):
        return
    require_source(original, _PATCH, "_handle_name_input_idempotency(name, execution_input)", "exec_name = name")

    def start_execution(self: Any, state_machine_arn: str, name: str | None = None, *args: Any, **kwargs: Any) -> Any:
        return original(self, state_machine_arn, name or str(uuid.uuid4()), *args, **kwargs)

    StepFunctionsParserBackend.start_execution = mark_patched(start_execution)
