"""The context object the Python Lambda runtime passes to every handler."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any


@dataclass
class LambdaContext:
    function_name: str
    function_version: str
    invoked_function_arn: str
    memory_limit_in_mb: str  # the real runtime copies the env var, so it is a string
    aws_request_id: str
    log_group_name: str
    log_stream_name: str
    deadline_ms: int
    identity: Any = None
    client_context: Any = None
    tenant_id: str | None = None
    _extra: dict[str, Any] = field(default_factory=dict)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self.deadline_ms - int(time.time() * 1000))


def new_context(
    *,
    function_name: str,
    function_arn: str,
    memory_size: int,
    timeout_seconds: int,
    log_group_name: str,
    log_stream_name: str,
    request_id: str | None = None,
) -> LambdaContext:
    return LambdaContext(
        function_name=function_name,
        function_version="$LATEST",
        invoked_function_arn=function_arn,
        memory_limit_in_mb=str(memory_size),
        aws_request_id=request_id or str(uuid.uuid4()),
        log_group_name=log_group_name,
        log_stream_name=log_stream_name,
        deadline_ms=int(time.time() * 1000) + timeout_seconds * 1000,
    )
