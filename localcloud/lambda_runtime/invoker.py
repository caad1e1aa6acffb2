"""Calls one function's handler the way the Lambda runtime does, one invocation at a time,
and the error bodies Lambda reports when an invocation fails outside the handler."""

from __future__ import annotations

import importlib
import json
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from localcloud.lambda_runtime.context import new_context


@dataclass
class Invocation:
    request_id: str
    result: Any = None
    error: dict[str, Any] | None = None

    @property
    def failed(self) -> bool:
        return self.error is not None


# How an event source mapping hands a batch to its function, wherever the function runs.
InvokeFunction = Callable[[Any], Invocation]


def timed_out(request_id: str, timeout_seconds: int) -> Invocation:
    return Invocation(
        request_id=request_id,
        error={
            "errorMessage": f"Task timed out after {timeout_seconds:.2f} seconds",
            "errorType": "Sandbox.Timedout",
            "requestId": request_id,
        },
    )


def runtime_exited(request_id: str, how: str) -> Invocation:
    """The process running the handler ended mid-invocation (killed, crashed, out of memory)."""
    return Invocation(
        request_id=request_id,
        error={
            "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: {how}",
            "errorType": "Runtime.ExitError",
            "requestId": request_id,
        },
    )


def init_failed(request_id: str, detail: str) -> Invocation:
    """The execution environment could not import the handler (a failed cold start)."""
    return Invocation(
        request_id=request_id,
        error={"errorMessage": detail, "errorType": "Runtime.ImportModuleError", "requestId": request_id},
    )


def load_handler(handler: str) -> Callable[[Any, Any], Any]:
    module_name, _, function_name = handler.rpartition(".")
    if not module_name:
        raise ValueError(f"handler '{handler}' must look like module.function")
    module = importlib.import_module(module_name)
    return getattr(module, function_name)


class FunctionInvoker:
    """One execution environment: handler calls never overlap, as in a single Lambda instance."""

    def __init__(
        self,
        *,
        handler: Callable[[Any, Any], Any],
        function_name: str,
        function_arn: str,
        memory_size: int,
        timeout_seconds: int,
        log_group_name: str,
    ) -> None:
        self._handler = handler
        self._function_name = function_name
        self._function_arn = function_arn
        self._memory_size = memory_size
        self._timeout = timeout_seconds
        self._log_group = log_group_name
        day = datetime.now(UTC).strftime("%Y/%m/%d")
        self._log_stream = f"{day}/[$LATEST]{uuid.uuid4().hex}"
        self._lock = threading.Lock()

    def invoke(self, event: Any, request_id: str | None = None) -> Invocation:
        with self._lock:
            context = new_context(
                function_name=self._function_name,
                function_arn=self._function_arn,
                memory_size=self._memory_size,
                timeout_seconds=self._timeout,
                log_group_name=self._log_group,
                log_stream_name=self._log_stream,
                request_id=request_id,
            )
            invocation = Invocation(request_id=context.aws_request_id)
            print(f"START RequestId: {context.aws_request_id} Version: $LATEST", flush=True)
            started = time.monotonic()
            try:
                result = self._handler(event, context)
            except Exception as error:
                traceback.print_exc()
                invocation.error = _error_body(error, context.aws_request_id)
            else:
                try:
                    invocation.result = json.loads(json.dumps(result))
                except (TypeError, ValueError) as error:
                    invocation.error = {
                        "errorMessage": f"Unable to marshal response: {error}",
                        "errorType": "Runtime.MarshalError",
                        "requestId": context.aws_request_id,
                    }
            elapsed = time.monotonic() - started
            if elapsed > self._timeout and invocation.error is None:
                # Lambda would have stopped the handler; count the invocation as failed.
                invocation = timed_out(context.aws_request_id, self._timeout)
            print(f"END RequestId: {context.aws_request_id}", flush=True)
            print(
                f"REPORT RequestId: {context.aws_request_id}\tDuration: {elapsed * 1000:.2f} ms"
                f"\tMemory Size: {self._memory_size} MB",
                flush=True,
            )
            sys.stderr.flush()
            return invocation


def _error_body(error: Exception, request_id: str) -> dict[str, Any]:
    return {
        "errorMessage": str(error),
        "errorType": type(error).__name__,
        "requestId": request_id,
        "stackTrace": traceback.format_tb(error.__traceback__),
    }
