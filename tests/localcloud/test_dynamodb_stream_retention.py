"""Stream records older than the retention are dropped, with sequence numbers and
iterators still right. AWS keeps records 24 hours; this server keeps them one second."""

import time
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localcloud.emulator.clients import client
from localcloud.emulator.patches.dynamodb_stream_retention import RETENTION_VARIABLE
from localcloud.emulator.server import MotoServer
from tests.localcloud.bare_moto import model_counts, shard_iterator, streamed_table

RETENTION_SECONDS = 1


@pytest.fixture(scope="module")
def short_memory_moto() -> Iterator[str]:
    with pytest.MonkeyPatch.context() as environment:
        environment.setenv(RETENTION_VARIABLE, str(RETENTION_SECONDS))
        with MotoServer() as server:
            yield server.endpoint_url


def _put(dynamodb: Any, table: str, sk: str) -> None:
    dynamodb.put_item(TableName=table, Item={"pk": {"S": "ORDER#1"}, "sk": {"S": sk}})


def _read(endpoint_url: str, iterator: str) -> list[tuple[str, int]]:
    records = client("dynamodbstreams", endpoint_url).get_records(ShardIterator=iterator)["Records"]
    return [(r["dynamodb"]["Keys"]["sk"]["S"], int(r["dynamodb"]["SequenceNumber"])) for r in records]


def test_records_past_the_retention_are_dropped_and_sequence_numbers_go_on(short_memory_moto):
    dynamodb = client("dynamodb", short_memory_moto)
    streams = client("dynamodbstreams", short_memory_moto)
    table, stream = streamed_table(short_memory_moto)
    shard_before = streams.describe_stream(StreamArn=stream)["StreamDescription"]["Shards"]
    _put(dynamodb, table, "old")
    [(key, old)] = _read(short_memory_moto, shard_iterator(short_memory_moto, stream, "TRIM_HORIZON"))
    assert key == "old"
    iterator_at_old = shard_iterator(short_memory_moto, stream, "AT_SEQUENCE_NUMBER", SequenceNumber=str(old))
    latest = shard_iterator(short_memory_moto, stream, "LATEST")

    time.sleep(RETENTION_SECONDS + 0.2)  # ages the first record past the retention
    _put(dynamodb, table, "new")

    assert _read(short_memory_moto, shard_iterator(short_memory_moto, stream, "TRIM_HORIZON")) == [("new", old + 1)]
    assert _read(short_memory_moto, latest) == [("new", old + 1)]
    assert model_counts(short_memory_moto)["dynamodb"]["StreamRecord"] == 1
    with pytest.raises(ClientError) as trimmed:
        _read(short_memory_moto, iterator_at_old)
    assert trimmed.value.response["Error"]["Code"] == "TrimmedDataAccessException"
    # The shard still starts where it started.
    assert streams.describe_stream(StreamArn=stream)["StreamDescription"]["Shards"] == shard_before
