"""Each event source mapping as Lambda's control plane sees it: its settings, its state, its poller's switch.

UpdateEventSourceMapping changes a mapping while its poller runs, as on AWS: a new batch size or
batching window is read at the poller's next round, a new maximum concurrency bounds the batches
it starts from then on, and disabling lets the batches in flight finish before the mapping says
Disabled (no message is taken after that; they wait in the queue or the stream until it is
enabled again). The states are Lambda's: Enabled and Disabled at rest, Enabling, Disabling and
Updating while a change takes effect. A mapping in transition refuses another change with
ResourceInUseException, as Lambda does.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from localcloud.emulator.identity import ACCOUNT_ID, REGION
from localcloud.event_sources.switch import MappingSwitch
from localcloud.lambda_runtime.invoker import Invocation, InvokeFunction
from localcloud.provisioning.deployment import EventSourceMappingSpec

AT_REST = frozenset({"Enabled", "Disabled"})
# How long an update that changes no switch shows Updating: the next round reads the new settings.
_UPDATING_SECONDS = 0.2
# What UpdateEventSourceMapping may change here; anything else is refused with a plain reason.
UPDATABLE = frozenset({"Enabled", "BatchSize", "MaximumBatchingWindowInSeconds", "ScalingConfig"})


class ControlPlaneError(Exception):
    """An error answer of Lambda's API: its HTTP status, its x-amzn-ErrorType, its body."""

    def __init__(self, status: int, code: str, message: str, message_key: str = "message") -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.body = {"Type": "User", message_key: message}


def not_found(message: str) -> ControlPlaneError:
    return ControlPlaneError(404, "ResourceNotFoundException", message, message_key="Message")


def invalid(message: str) -> ControlPlaneError:
    return ControlPlaneError(400, "InvalidParameterValueException", message)


class LiveMapping:
    def __init__(
        self,
        spec: EventSourceMappingSpec,
        function_arn: str,
        *,
        concurrency_ceiling: int,
        set_concurrency: Callable[[int], None] | None = None,
    ) -> None:
        self.spec = spec
        self.function_arn = function_arn
        self.switch = MappingSwitch(enabled=spec.enabled)
        # The function's own limit: Lambda never runs more of a queue's batches than the function may.
        self._ceiling = concurrency_ceiling
        self._set_concurrency = set_concurrency
        self._state = "Enabled" if spec.enabled else "Disabled"
        self._last_modified = time.time()
        self._last_result = "No records processed"
        self._changed = threading.Condition()
        self._disable_timeout = 60.0

    @property
    def uuid(self) -> str:
        return self.spec.uuid

    @property
    def state(self) -> str:
        with self._changed:
            return self._state

    @property
    def arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:event-source-mapping:{self.spec.uuid}"

    def effective_concurrency(self) -> int:
        return min(self.spec.maximum_concurrency or self._ceiling, self._ceiling)

    def recording(self, invoke: InvokeFunction) -> InvokeFunction:
        """`invoke`, noting each batch's outcome as Lambda's LastProcessingResult."""

        def invoke_and_record(event: Any) -> Invocation:
            invocation = invoke(event)
            self._last_result = "PROBLEM: Function call failed" if invocation.failed else "OK"
            return invocation

        return invoke_and_record

    def configuration(self) -> dict[str, Any]:
        """The mapping as Lambda's EventSourceMappingConfiguration."""
        spec = self.spec
        with self._changed:
            state, modified = self._state, self._last_modified
        shape: dict[str, Any] = {
            "UUID": spec.uuid,
            "BatchSize": spec.batch_size,
            "MaximumBatchingWindowInSeconds": spec.maximum_batching_window_in_seconds,
            "EventSourceArn": spec.event_source_arn,
            "FunctionArn": self.function_arn,
            "LastModified": modified,
            "LastProcessingResult": self._last_result,
            "State": state,
            "StateTransitionReason": "USER_INITIATED",
            "FunctionResponseTypes": list(spec.function_response_types),
            "EventSourceMappingArn": self.arn,
        }
        if spec.filter_patterns:
            shape["FilterCriteria"] = {"Filters": [{"Pattern": pattern} for pattern in spec.filter_patterns]}
        if spec.source_type == "sqs":
            if spec.maximum_concurrency is not None:
                shape["ScalingConfig"] = {"MaximumConcurrency": spec.maximum_concurrency}
            return shape
        destination = {"Destination": spec.on_failure_destination} if spec.on_failure_destination else {}
        return {
            **shape,
            "StartingPosition": spec.starting_position or "LATEST",
            "ParallelizationFactor": 1,
            "MaximumRecordAgeInSeconds": -1,
            "BisectBatchOnFunctionError": spec.bisect_batch_on_function_error,
            "MaximumRetryAttempts": spec.maximum_retry_attempts,
            "DestinationConfig": {"OnFailure": destination},
        }

    def update(self, request: dict[str, Any]) -> dict[str, Any]:
        """Lambda's UpdateEventSourceMapping: checks every value first, then changes the poller."""
        changes = {key: value for key, value in request.items() if key != "FunctionName"}
        if unsupported := sorted(set(changes) - UPDATABLE):
            raise invalid(
                f"The embedded cloud updates {', '.join(sorted(UPDATABLE))} of an event source mapping, "
                f"not {', '.join(unsupported)}"
            )
        with self._changed:
            if self._state not in AT_REST:
                raise ControlPlaneError(
                    400,
                    "ResourceInUseException",
                    f"Cannot update the event source mapping because it is in use ({self._state}).",
                    message_key="Message",
                )
            batch_size, window, concurrency = self._checked(changes)
            spec = self.spec
            settings_changed = (batch_size, window, concurrency) != (
                spec.batch_size,
                spec.maximum_batching_window_in_seconds,
                spec.maximum_concurrency,
            )
            spec.batch_size, spec.maximum_batching_window_in_seconds = batch_size, window
            spec.maximum_concurrency = concurrency
            if self._set_concurrency is not None:
                self._set_concurrency(self.effective_concurrency())
            enabled = changes.get("Enabled")
            if enabled is False and self._state == "Enabled":
                spec.enabled = False
                self._begin("Disabling", self._disable)
            elif enabled is True and self._state == "Disabled":
                spec.enabled = True
                self._begin("Enabling", self._enable)
            elif settings_changed:
                self._begin("Updating", self._settle)
            self._last_modified = time.time()
            # The answer shows the transition, as Lambda's does, however soon it ends.
            return self.configuration()

    def _checked(self, changes: dict[str, Any]) -> tuple[int, int, int | None]:
        spec = self.spec
        batch_size = changes.get("BatchSize", spec.batch_size)
        window = changes.get("MaximumBatchingWindowInSeconds", spec.maximum_batching_window_in_seconds)
        if "Enabled" in changes and not isinstance(changes["Enabled"], bool):
            raise invalid("Enabled must be true or false")
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or not 1 <= batch_size <= 10000:
            raise invalid(f"BatchSize must be between 1 and 10000, not {batch_size}")
        if spec.source_type == "sqs" and spec.event_source_arn.endswith(".fifo") and batch_size > 10:
            raise invalid(f"BatchSize must be at most 10 for a FIFO queue, not {batch_size}")
        if not isinstance(window, int) or isinstance(window, bool) or not 0 <= window <= 300:
            raise invalid(f"MaximumBatchingWindowInSeconds must be between 0 and 300, not {window}")
        if spec.source_type == "sqs" and batch_size > 10 and window < 1:
            raise invalid(
                "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10"
            )
        concurrency = spec.maximum_concurrency
        if "ScalingConfig" in changes:
            scaling = changes["ScalingConfig"] or {}
            if spec.source_type != "sqs":
                raise invalid("ScalingConfig is supported for Amazon SQS event sources only")
            # An empty ScalingConfig removes the limit (the documented way to turn it off).
            concurrency = scaling.get("MaximumConcurrency")
            if concurrency is not None and (
                not isinstance(concurrency, int) or isinstance(concurrency, bool) or not 2 <= concurrency <= 1000
            ):
                raise invalid(f"MaximumConcurrency must be between 2 and 1000, not {concurrency}")
        return batch_size, window, concurrency

    def _begin(self, transition: str, work: Callable[[], str]) -> None:
        self._state = transition

        def run() -> None:
            settled = work()
            with self._changed:
                self._state = settled
                self._last_modified = time.time()
                self._changed.notify_all()

        threading.Thread(target=run, name=f"mapping-{transition.lower()}-{self.uuid[:8]}", daemon=True).start()

    def _disable(self) -> str:
        # Disabled means no batch is in flight any more; a long one keeps the mapping Disabling.
        while True:
            try:
                self.switch.set_enabled(False, timeout=self._disable_timeout)
                return "Disabled"
            except TimeoutError:
                continue

    def _enable(self) -> str:
        self.switch.set_enabled(True)
        return "Enabled"

    def _settle(self) -> str:
        time.sleep(_UPDATING_SECONDS)
        return "Enabled" if self.spec.enabled else "Disabled"

    def wait_at_rest(self, timeout: float) -> str:
        with self._changed:
            if not self._changed.wait_for(lambda: self._state in AT_REST, timeout=timeout):
                raise TimeoutError(f"event source mapping {self.uuid} still {self._state} after {timeout:.0f}s")
            return self._state

    def set_enabled(self, enabled: bool, timeout: float = 120.0) -> None:
        """Enable or disable it through UpdateEventSourceMapping and wait until it is so."""
        self.wait_at_rest(timeout)
        self.update({"Enabled": enabled})
        self.wait_at_rest(timeout)
