"""DynamoDB stream records kept for 24 hours, as AWS keeps them, instead of forever.

moto's stream shard keeps every record its table ever produced, in a list whose
index is the sequence number minus the shard's starting sequence number. Records
older than the retention are dropped from the front as new ones arrive, and the
base moves up by as many, so sequence numbers, TRIM_HORIZON (the oldest record
kept) and LATEST stay right. The shard still reports its first sequence number,
and reading before the trim horizon fails with TrimmedDataAccessException, as on
AWS. LOCALCLOUD_STREAM_RETENTION_SECONDS shortens the retention (for tests).
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from typing import Any

from localcloud.emulator.patches.moto_shape import is_patched, mark_patched, require_source

_PATCH = "dynamodb_stream_retention"
_FIRST_SEQUENCE_NUMBER = "_localcloud_first_sequence_number"
RETENTION_VARIABLE = "LOCALCLOUD_STREAM_RETENTION_SECONDS"


def _retention() -> timedelta:
    return timedelta(seconds=float(os.environ.get(RETENTION_VARIABLE, 24 * 60 * 60)))


def _trim(shard: Any, horizon: datetime) -> None:
    records = shard.items
    expired = 0
    while expired < len(records) and records[expired].record["dynamodb"]["ApproximateCreationDateTime"] < horizon:
        expired += 1
    if expired:
        if not hasattr(shard, _FIRST_SEQUENCE_NUMBER):
            setattr(shard, _FIRST_SEQUENCE_NUMBER, shard.starting_sequence_number)
        del records[:expired]
        shard.starting_sequence_number += expired


def apply() -> None:
    from moto.core.exceptions import JsonRESTError
    from moto.core.utils import utcnow
    from moto.dynamodb.models.table import StreamRecord, StreamShard

    original_add, original_get, original_to_json = StreamShard.add, StreamShard.get, StreamShard.to_json
    if is_patched(original_add):
        return
    require_source(original_add, _PATCH, "seq = len(self.items) + self.starting_sequence_number")
    require_source(original_get, _PATCH, "start -= self.starting_sequence_number")
    require_source(StreamRecord.__init__, _PATCH, '"ApproximateCreationDateTime": utcnow()')
    retention = _retention()

    def add(self: StreamShard, old: Any, new: Any) -> None:
        original_add(self, old, new)
        _trim(self, utcnow() - retention)

    def get(self: StreamShard, start: int, quantity: int) -> list[dict[str, Any]]:
        if start < self.starting_sequence_number:
            raise JsonRESTError(
                "TrimmedDataAccessException",
                f"The operation attempted to read past the oldest stream record in a shard ({start})",
            )
        return original_get(self, start, quantity)

    def to_json(self: StreamShard) -> dict[str, Any]:
        shard = original_to_json(self)
        first = getattr(self, _FIRST_SEQUENCE_NUMBER, self.starting_sequence_number)
        shard["SequenceNumberRange"]["StartingSequenceNumber"] = str(first)
        return shard

    StreamShard.add = mark_patched(add)  # type: ignore[method-assign]
    StreamShard.get = get  # type: ignore[method-assign]
    StreamShard.to_json = to_json  # type: ignore[method-assign]
