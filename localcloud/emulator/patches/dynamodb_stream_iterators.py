"""DynamoDB Streams shard iterators that carry their position, so none is stored.

moto keeps every shard iterator it ever issued in a dict, and GetRecords issues a
new one on each call: a poller reading four times a second adds ~14k iterators an
hour per stream, forever. Here an iterator's id encodes its shard position, and
the backend's iterator store keeps nothing: GetRecords rebuilds the iterator from
the id. As on AWS, an iterator can be used more than once. AWS expires iterators
15 minutes after issuing them; like stock moto, the emulator does not (a poller
paused for longer simply resumes).
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Iterator, MutableMapping
from typing import Any

from localcloud.emulator.patches.moto_shape import is_patched, mark_patched, require_source

_PATCH = "dynamodb_stream_iterators"


def _position_token(sequence_number: int) -> str:
    # The nonce keeps iterators distinct, as AWS's are.
    return base64.b64encode(f"position:{sequence_number}:{os.urandom(6).hex()}".encode()).decode()


def _position(token: str) -> int | None:
    try:
        label, position, _ = base64.b64decode(token, validate=True).decode().split(":")
        return int(position) if label == "position" else None
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


class IteratorsByPosition(MutableMapping[str, Any]):
    """moto's shard-iterator store, holding nothing: each iterator's id is its position."""

    def __init__(self, streams_backend: Any) -> None:
        self._backend = streams_backend

    def __getitem__(self, iterator_arn: str) -> Any:
        from moto.core.exceptions import JsonRESTError
        from moto.dynamodbstreams.models import ShardIterator

        stream_arn, _, token = iterator_arn.rpartition("|1|")
        position = _position(token)
        if position is None or "/stream/" not in stream_arn:
            raise JsonRESTError("ValidationException", "Invalid ShardIterator")
        table = self._backend._get_table_from_arn(stream_arn)
        if table.stream_shard is None or not stream_arn.endswith(f"/stream/{table.latest_stream_label}"):
            raise JsonRESTError("ResourceNotFoundException", f"Requested resource not found: Stream: {stream_arn}")
        return ShardIterator(self._backend, table.stream_shard, "AT_SEQUENCE_NUMBER", position)

    def __setitem__(self, iterator_arn: str, iterator: Any) -> None:
        pass  # the arn says it all

    def __delitem__(self, iterator_arn: str) -> None:
        pass

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def apply() -> None:
    from moto.dynamodbstreams.models import DynamoDBStreamsBackend, ShardIterator

    original_iterator_init = ShardIterator.__init__
    original_backend_init = DynamoDBStreamsBackend.__init__
    if is_patched(original_iterator_init):
        return
    require_source(original_iterator_init, _PATCH, "self.id = ", "self.sequence_number = sequence_number")
    require_source(ShardIterator.arn.fget, _PATCH, "|1|{self.id}")
    require_source(ShardIterator.get, _PATCH, "self.streams_backend.shard_iterators[new_shard_iterator.arn] =")
    require_source(original_backend_init, _PATCH, "self.shard_iterators: dict[str, ShardIterator] = {}")
    require_source(DynamoDBStreamsBackend.get_records, _PATCH, "self.shard_iterators[iterator_arn]")

    def iterator_init(self: ShardIterator, *args: Any, **kwargs: Any) -> None:
        original_iterator_init(self, *args, **kwargs)
        position = getattr(self, "sequence_number", None)
        if isinstance(position, int):
            self.id = _position_token(position)

    def backend_init(self: DynamoDBStreamsBackend, *args: Any, **kwargs: Any) -> None:
        original_backend_init(self, *args, **kwargs)
        self.shard_iterators = IteratorsByPosition(self)  # type: ignore[assignment]

    ShardIterator.__init__ = mark_patched(iterator_init)  # type: ignore[method-assign]
    DynamoDBStreamsBackend.__init__ = mark_patched(backend_init)  # type: ignore[method-assign]
