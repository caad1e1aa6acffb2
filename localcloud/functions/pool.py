"""A function's execution environments: started on demand, kept warm, replaced when they die.

An invocation runs on a free instance; without one, a new instance starts (its own
cold start) while the function is below its concurrency limit, as Lambda scales a
function out. At the limit a synchronous caller is throttled and an event source
waits for an instance to come free. An instance that dies is dropped; the next
invocation that needs it starts a fresh one.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

from localcloud.functions.instance import FunctionInstance, FunctionStartError
from localcloud.functions.invoke_api import TooManyRequests
from localcloud.lambda_runtime.invoker import Invocation, init_failed, runtime_exited
from localcloud.processes import stop_process
from localcloud.provisioning.deployment import DeployedFunction


class InstancePool:
    def __init__(
        self,
        function: DeployedFunction,
        limit: int,
        launch: Callable[[int], FunctionInstance],
        start_timeout: float,
    ) -> None:
        self.function = function
        self.limit = limit
        self._launch = launch
        self._start_timeout = start_timeout
        self._changed = threading.Condition()
        self._idle: list[FunctionInstance] = []
        self._busy: set[FunctionInstance] = set()
        self._starting = 0
        self._numbers = 0
        self._starts = 0
        self._deaths = 0
        self._peak_busy = 0
        self._gone: set[FunctionInstance] = set()
        self._closed = False
        self._throttle_reason = _throttle_reason(reserved=function.reserved_concurrency is not None)

    def set_limit(self, limit: int, *, reserved: bool) -> None:
        """The function's concurrency changed (PutFunctionConcurrency): later invocations see it."""
        with self._changed:
            self.limit = limit
            self._throttle_reason = _throttle_reason(reserved=reserved)
            self._changed.notify_all()

    def invoke(self, event: Any, *, wait: bool) -> Invocation:
        """Run the event on a free instance, starting one if allowed; TooManyRequests when not `wait`."""
        try:
            instance = self._acquire(wait)
        except FunctionStartError as error:
            return init_failed(str(uuid.uuid4()), str(error))
        if instance is None:
            return runtime_exited(str(uuid.uuid4()), "the function host stopped")
        try:
            return instance.invoke(event)
        finally:
            self._release(instance)

    def start_one(self) -> None:
        """Start an instance ahead of demand, so a handler that cannot be imported fails early."""
        if self.limit > 0:
            instance = self._acquire(wait=True)
            if instance is not None:
                self._release(instance)

    def _acquire(self, wait: bool) -> FunctionInstance | None:
        with self._changed:
            while True:
                if self._closed:
                    return None
                # A limit lowered below what runs (PutFunctionConcurrency) holds back idle instances too.
                at_limit = len(self._busy) + self._starting >= self.limit
                while self._idle and not at_limit:
                    # The most recently used instance first: the others may stay idle.
                    instance = self._idle.pop()
                    if instance.alive():
                        self._mark_busy(instance)
                        return instance
                    self._died(instance)
                if not at_limit:
                    self._starting += 1
                    self._numbers += 1
                    number = self._numbers
                    break
                if not wait:
                    raise TooManyRequests(self._throttle_reason)
                self._changed.wait(0.5)
        try:
            instance = self._launch(number)
        except BaseException:
            self._start_ended()
            raise
        try:
            instance.wait_ready(self._start_timeout)
        except BaseException:
            self._start_ended()
            raise
        with self._changed:
            self._starting -= 1
            self._starts += 1
            if self._closed:
                instance.kill()
                return None
            self._mark_busy(instance)
        return instance

    def _start_ended(self) -> None:
        with self._changed:
            self._starting -= 1
            self._changed.notify_all()

    def _mark_busy(self, instance: FunctionInstance) -> None:
        self._busy.add(instance)
        self._peak_busy = max(self._peak_busy, len(self._busy))

    def _release(self, instance: FunctionInstance) -> None:
        with self._changed:
            self._busy.discard(instance)
            if instance.alive() and not self._closed:
                self._idle.append(instance)
            else:
                self._died(instance)
            self._changed.notify_all()

    def _died(self, instance: FunctionInstance) -> None:
        if not self._closed and instance not in self._gone:
            self._gone.add(instance)
            self._deaths += 1

    def reap(self) -> None:
        """Drop idle instances that died (a crash, a kill) since they last worked."""
        with self._changed:
            for instance in [i for i in self._idle if not i.alive()]:
                self._idle.remove(instance)
                self._died(instance)

    def kill_busy(self) -> bool:
        """SIGKILL the longest-lived busy instance; False when none is busy."""
        with self._changed:
            busy = sorted((i for i in self._busy if i.alive()), key=lambda i: i.number)
        if not busy:
            return False
        busy[0].kill()
        return True

    def instances(self) -> dict[str, int]:
        with self._changed:
            return {i.label: i.pid for i in [*self._idle, *self._busy] if i.alive()}

    def stats(self) -> dict[str, int]:
        with self._changed:
            return {
                "limit": self.limit,
                "instances": len(self._idle) + len(self._busy),
                "busy": len(self._busy),
                "peak_busy": self._peak_busy,
                "starts": self._starts,
                "deaths": self._deaths,
            }

    def stop(self) -> None:
        with self._changed:
            self._closed = True
            instances = [*self._idle, *self._busy]
            self._idle.clear()
            self._changed.notify_all()
        for instance in instances:
            instance.terminate()
        for instance in instances:
            stop_process(instance.process)


def _throttle_reason(*, reserved: bool) -> str:
    return "ReservedFunctionConcurrentInvocationLimitExceeded" if reserved else "ConcurrentInvocationLimitExceeded"
