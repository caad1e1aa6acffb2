"""Executions log their history events to the state machine's log group, as Step Functions does.

moto's interpreter can log an execution (its event manager hands each history event to a
CloudWatch logging session, filtered by the configuration's level), but moto starts every
execution without a session, and the session class it has hands moto's logs backend objects of
the wrong shape. Here each execution of a state machine whose loggingConfiguration has a level
other than OFF and a log group gets a session of its own that writes to that group: one log
stream per execution, one JSON line per event in Step Functions' shape (`id`, `type`,
`details`, `previous_event_id`, `event_timestamp` in epoch milliseconds, `execution_arn`), the
execution's input and output left out unless `includeExecutionData`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from localcloud.emulator.patches import stepfunctions_executions
from localcloud.emulator.patches.moto_shape import is_patched, mark_patched, require, require_source

_PATCH = "stepfunctions_execution_logs"


def apply() -> None:
    stepfunctions_executions.when_interpreter_loads(apply_now)


def apply_now() -> None:
    from moto.logs.exceptions import ResourceNotFoundException
    from moto.logs.models import logs_backends
    from moto.stepfunctions.parser.asl.eval.event import logging as execution_logging
    from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager
    from moto.stepfunctions.parser.asl.utils.encoding import to_json_str
    from moto.stepfunctions.parser.backend.execution import Execution

    original_init = Execution.__init__
    if is_patched(original_init):
        return
    require_source(
        EventManager._publish_history_log,
        _PATCH,
        "self._cloud_watch_logging_session.publish_history_log(history_log=history_log)",
    )
    require_source(original_init, _PATCH, "self._cloud_watch_logging_session = cloud_watch_logging_session")
    require(
        callable(getattr(execution_logging.CloudWatchLoggingConfiguration, "from_logging_configuration", None)),
        _PATCH,
        "CloudWatchLoggingConfiguration.from_logging_configuration is gone",
    )

    class ExecutionLog(execution_logging.CloudWatchLoggingSession):
        """One execution's log stream in its state machine's log group."""

        def __init__(self, execution_arn: str, machine_name: str, configuration: Any) -> None:
            self.execution_arn = execution_arn
            self.configuration = configuration
            self._logs = logs_backends[configuration.log_account_id][configuration.log_region]
            self._stream = f"states/{machine_name}/{datetime.now(UTC):%Y-%m-%d-%H-%M}/{uuid.uuid4().hex[:8]}"
            self._stream_made = False

        def publish_history_log(self, history_log: Any) -> None:
            # moto hands the event's time as ISO 8601 text; the log says epoch milliseconds.
            moment = history_log["event_timestamp"]
            if not isinstance(moment, datetime):
                moment = datetime.fromisoformat(str(moment).replace("Z", "+00:00"))
            milliseconds = int(moment.timestamp() * 1000)
            line = {**history_log, "event_timestamp": str(milliseconds)}
            event = {"timestamp": milliseconds, "message": to_json_str(line)}
            group = self.configuration.log_group_name
            try:
                if not self._stream_made:
                    self._logs.create_log_stream(group, self._stream)
                    self._stream_made = True
                self._logs.put_log_events(group, self._stream, [event])
            except ResourceNotFoundException:
                # The log group is gone: the execution runs on unlogged, as on AWS.
                return

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        if self._cloud_watch_logging_session is not None:
            return
        configuration = execution_logging.CloudWatchLoggingConfiguration.from_logging_configuration(
            state_machine_arn=self.state_machine.arn,
            logging_configuration={"includeExecutionData": False, **(self.state_machine.loggingConfiguration or {})},
        )
        if configuration is not None:
            self._cloud_watch_logging_session = ExecutionLog(self.exec_arn, self.state_machine.name, configuration)

    Execution.__init__ = mark_patched(__init__)
