"""DynamoDB transactions on the embedded cloud: all or nothing, AWS's cancellation reasons,
stream records only for what commits, and stream readers unaffected by a cancellation.

AWS (API reference, CancellationReason): the reasons are "ordered according to the
ordering of the TransactWriteItems request parameter"; an item without error has code
"None"; a failed condition has code ConditionalCheckFailed with "The conditional request
failed", and the item's old image when ReturnValuesOnConditionCheckFailure is ALL_OLD.
"""

import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localcloud.emulator.clients import client
from saga_client.operations import every_item
from tests.localcloud.bare_moto import shard_iterator, streamed_table


@pytest.fixture
def orders(bare_moto) -> tuple[str, str]:
    return streamed_table(bare_moto)


def _item(order: str, sk: str, **attributes: str) -> dict[str, Any]:
    return {"pk": {"S": order}, "sk": {"S": sk}, **{name: {"S": value} for name, value in attributes.items()}}


def _put(table: str, item: dict[str, Any], **options: Any) -> dict[str, Any]:
    return {"Put": {"TableName": table, "Item": item, **options}}


def _stale_version_put(table: str, order: str, **options: Any) -> dict[str, Any]:
    return _put(
        table,
        _item(order, "ORDER", status="CONFIRMED", version="2"),
        ConditionExpression="version = :previous",
        ExpressionAttributeValues={":previous": {"S": "7"}},
        **options,
    )


def _cancelled(dynamodb: Any, items: list[dict[str, Any]]) -> ClientError:
    with pytest.raises(ClientError) as raised:
        dynamodb.transact_write_items(TransactItems=items)
    assert raised.value.response["Error"]["Code"] == "TransactionCanceledException"
    return raised.value


def _records(endpoint_url: str, iterator: str) -> list[dict[str, Any]]:
    return client("dynamodbstreams", endpoint_url).get_records(ShardIterator=iterator)["Records"]


def _everything(dynamodb: Any, table: str, order: str) -> list[dict[str, Any]]:
    return every_item(
        dynamodb,
        "query",
        TableName=table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": order}},
        ConsistentRead=True,
    )


def test_a_cancelled_transaction_changes_nothing_and_reports_each_item_in_order(bare_moto, orders):
    dynamodb = client("dynamodb", bare_moto)
    table, _ = orders
    order = f"ORDER#{uuid.uuid4().hex}"
    dynamodb.put_item(TableName=table, Item=_item(order, "ORDER", status="PLACED", version="1"))
    dynamodb.put_item(TableName=table, Item=_item(order, "COUNTER", note="before"))
    dynamodb.put_item(TableName=table, Item=_item(order, "OUTBOX#old", event="placed"))
    before = _everything(dynamodb, table, order)

    error = _cancelled(
        dynamodb,
        [
            _put(table, _item(order, "TIMELINE#1", event="confirmed")),
            {
                "Update": {
                    "TableName": table,
                    "Key": _item(order, "COUNTER"),
                    "UpdateExpression": "SET note = :after",
                    "ExpressionAttributeValues": {":after": {"S": "after"}},
                }
            },
            _stale_version_put(table, order),
            {"Delete": {"TableName": table, "Key": _item(order, "OUTBOX#old")}},
        ],
    )

    assert error.response["CancellationReasons"] == [
        {"Code": "None"},
        {"Code": "None"},
        {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"},
        {"Code": "None"},
    ]
    assert "[None, None, ConditionalCheckFailed, None]" in error.response["Error"]["Message"]
    # The put, the in-place update before the failure and the delete after it are all undone.
    assert _everything(dynamodb, table, order) == before


def test_a_failed_condition_returns_the_old_item_when_asked(bare_moto, orders):
    dynamodb = client("dynamodb", bare_moto)
    table, _ = orders
    order = f"ORDER#{uuid.uuid4().hex}"
    stored = _item(order, "ORDER", status="PLACED", version="1")
    dynamodb.put_item(TableName=table, Item=stored)

    error = _cancelled(
        dynamodb,
        [
            _stale_version_put(table, order, ReturnValuesOnConditionCheckFailure="ALL_OLD"),
            _put(table, _item(order, "OUTBOX#e1", event="confirmed")),
        ],
    )

    assert error.response["CancellationReasons"] == [
        {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed", "Item": stored},
        {"Code": "None"},
    ]
    assert _everything(dynamodb, table, order) == [stored]


def test_stream_records_appear_only_for_a_committed_transaction(bare_moto, orders):
    dynamodb = client("dynamodb", bare_moto)
    table, stream = orders
    order = f"ORDER#{uuid.uuid4().hex}"
    dynamodb.put_item(TableName=table, Item=_item(order, "ORDER", status="PLACED", version="1"))
    iterator = shard_iterator(bare_moto, stream)

    _cancelled(
        dynamodb,
        [
            _put(table, _item(order, "OUTBOX#cancelled", event="confirmed")),
            _stale_version_put(table, order),
            _put(table, _item(order, "TIMELINE#cancelled", event="confirmed")),
        ],
    )
    dynamodb.transact_write_items(
        TransactItems=[
            _put(table, _item(order, "ORDER", status="CONFIRMED", version="2")),
            _put(table, _item(order, "OUTBOX#committed", event="confirmed")),
            _put(table, _item(order, "TIMELINE#committed", event="confirmed")),
        ]
    )

    records = _records(bare_moto, iterator)
    assert [(r["eventName"], r["dynamodb"]["Keys"]["sk"]["S"]) for r in records] == [
        ("MODIFY", "ORDER"),
        ("INSERT", "OUTBOX#committed"),
        ("INSERT", "TIMELINE#committed"),
    ]
    sequence_numbers = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
    assert sequence_numbers == list(range(sequence_numbers[0], sequence_numbers[0] + 3))


def test_a_stream_reader_opened_before_a_cancelled_transaction_sees_later_writes(bare_moto, orders):
    dynamodb = client("dynamodb", bare_moto)
    table, stream = orders
    order = f"ORDER#{uuid.uuid4().hex}"
    dynamodb.put_item(TableName=table, Item=_item(order, "ORDER", status="PLACED", version="1"))
    iterator = shard_iterator(bare_moto, stream)

    _cancelled(dynamodb, [_stale_version_put(table, order), _put(table, _item(order, "OUTBOX#x", event="x"))])
    dynamodb.put_item(TableName=table, Item=_item(order, "TIMELINE#later", event="later"))

    records = _records(bare_moto, iterator)
    assert [r["dynamodb"]["Keys"]["sk"]["S"] for r in records] == ["TIMELINE#later"]
    assert _everything(dynamodb, table, order)[-1] == _item(order, "TIMELINE#later", event="later")


def test_a_cancelled_transaction_across_tables_puts_back_an_item_changed_in_place(bare_moto):
    dynamodb = client("dynamodb", bare_moto)
    run = uuid.uuid4().hex[:8]
    for table, key in ((f"stock-{run}", "sku"), (f"reservations-{run}", "orderId")):
        dynamodb.create_table(
            TableName=table,
            KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    dynamodb.put_item(TableName=f"stock-{run}", Item={"sku": {"S": "MUG"}, "available": {"N": "5"}})
    tombstone = {"orderId": {"S": "o-1"}, "status": {"S": "CANCELLED"}}
    dynamodb.put_item(TableName=f"reservations-{run}", Item=tombstone)

    error = _cancelled(
        dynamodb,
        [
            {
                "Update": {
                    "TableName": f"stock-{run}",
                    "Key": {"sku": {"S": "MUG"}},
                    "UpdateExpression": "SET available = available - :q",
                    "ConditionExpression": "available >= :q",
                    "ExpressionAttributeValues": {":q": {"N": "2"}},
                }
            },
            _put(
                f"reservations-{run}",
                {"orderId": {"S": "o-1"}, "status": {"S": "RESERVED"}},
                ConditionExpression="attribute_not_exists(orderId)",
            ),
        ],
    )

    assert [reason["Code"] for reason in error.response["CancellationReasons"]] == ["None", "ConditionalCheckFailed"]
    stock = dynamodb.get_item(TableName=f"stock-{run}", Key={"sku": {"S": "MUG"}}, ConsistentRead=True)["Item"]
    assert stock["available"] == {"N": "5"}
    reservation = dynamodb.get_item(TableName=f"reservations-{run}", Key={"orderId": {"S": "o-1"}}, ConsistentRead=True)
    assert reservation["Item"] == tombstone
