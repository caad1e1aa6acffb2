"""One DynamoDB request at a time, as AWS's isolation promises.

AWS applies each write atomically and serialises transactions with other writes;
readers never see half a transaction. moto serves each request on its own thread
and guards nothing: a conditional put can interleave with another write, and a
GetItem or GetRecords can run in the middle of a transaction that is about to be
rolled back. One lock around every DynamoDB and DynamoDB Streams request removes
both (moto holds the GIL for all of them anyway, so nothing runs slower).
"""

from __future__ import annotations

import threading
from typing import Any

from localcloud.emulator.patches.moto_shape import is_patched, mark_patched, require

_one_request_at_a_time = threading.RLock()


def apply() -> None:
    from moto.dynamodb.responses import DynamoHandler
    from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

    for handler in (DynamoHandler, DynamoDBStreamsHandler):
        original = handler.call_action
        if is_patched(original):
            continue
        require(callable(original), "dynamodb_isolation", f"{handler.__name__}.call_action is gone")
        handler.call_action = mark_patched(_serialised(original))  # type: ignore[method-assign]


def _serialised(call_action: Any) -> Any:
    def call_action_alone(self: Any) -> Any:
        with _one_request_at_a_time:
            return call_action(self)

    return call_action_alone
