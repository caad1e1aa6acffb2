"""The embedded cloud's moto frees what AWS would no longer hold: copies, old iterators,
deleted messages. Counted with moto's own list of live model objects (/moto-api/data.json)."""

import json
import urllib.request
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localcloud.emulator.clients import client
from localcloud.emulator.server import MotoServer
from saga_client.operations import count_items
from tests.localcloud.bare_moto import model_counts, shard_iterator, streamed_table


def _item(order: str, sk: str, version: int) -> dict[str, Any]:
    return {"pk": {"S": order}, "sk": {"S": sk}, "version": {"N": str(version)}}


def _live_items(dynamodb: Any) -> int:
    return sum(count_items(dynamodb, "scan", TableName=name) for name in dynamodb.list_tables()["TableNames"])


def test_transactions_and_updates_leave_no_item_or_table_copies(bare_moto):
    dynamodb = client("dynamodb", bare_moto)
    table, _ = streamed_table(bare_moto)
    for n in range(30):
        order = f"ORDER#{n}"
        dynamodb.transact_write_items(
            TransactItems=[{"Put": {"TableName": table, "Item": _item(order, sk, 1)}} for sk in ("ORDER", "A", "B")]
        )
        stale = {
            "Put": {
                "TableName": table,
                "Item": _item(order, "ORDER", 2),
                "ConditionExpression": "version = :v",
                "ExpressionAttributeValues": {":v": {"N": "0"}},
            }
        }
        with pytest.raises(ClientError):
            dynamodb.transact_write_items(
                TransactItems=[{"Put": {"TableName": table, "Item": _item(order, "C", 1)}}, stale]
            )
        dynamodb.update_item(
            TableName=table,
            Key={"pk": {"S": order}, "sk": {"S": "ORDER"}},
            UpdateExpression="SET version = version + :one",
            ExpressionAttributeValues={":one": {"N": "1"}},
        )

    live = model_counts(bare_moto)["dynamodb"]
    assert live["Table"] == len(dynamodb.list_tables()["TableNames"])
    assert live["Item"] == _live_items(dynamodb)


def test_reading_a_stream_leaves_no_iterators_behind(bare_moto):
    dynamodb = client("dynamodb", bare_moto)
    streams = client("dynamodbstreams", bare_moto)
    table, stream = streamed_table(bare_moto)
    iterator = shard_iterator(bare_moto, stream, "TRIM_HORIZON")
    seen = []
    for n in range(100):
        if n % 10 == 0:
            dynamodb.put_item(TableName=table, Item=_item("ORDER#1", f"E{n}", 1))
        response = streams.get_records(ShardIterator=iterator, Limit=5)
        seen += [r["dynamodb"]["Keys"]["sk"]["S"] for r in response["Records"]]
        iterator = response["NextShardIterator"]

    assert seen == [f"E{n}" for n in range(0, 100, 10)]
    assert model_counts(bare_moto)["dynamodbstreams"]["ShardIterator"] <= 1


def test_a_shard_iterator_can_be_read_again(bare_moto):
    dynamodb = client("dynamodb", bare_moto)
    streams = client("dynamodbstreams", bare_moto)
    table, stream = streamed_table(bare_moto)
    iterator = shard_iterator(bare_moto, stream)
    dynamodb.put_item(TableName=table, Item=_item("ORDER#1", "ORDER", 1))

    first = streams.get_records(ShardIterator=iterator)
    again = streams.get_records(ShardIterator=iterator)

    assert [r["eventID"] for r in again["Records"]] == [r["eventID"] for r in first["Records"]]
    assert len(first["Records"]) == 1
    assert streams.get_records(ShardIterator=first["NextShardIterator"])["Records"] == []


def test_deleted_messages_leave_nothing_behind(bare_moto):
    sqs = client("sqs", bare_moto)
    url = sqs.create_queue(QueueName=f"work-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    for n in range(40):
        sqs.send_message(QueueUrl=url, MessageBody=f"message {n}")
        [message] = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)["Messages"]
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    waiting = 0
    for queue in sqs.list_queues()["QueueUrls"]:
        attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
        waiting += int(attributes["ApproximateNumberOfMessages"]) + int(
            attributes["ApproximateNumberOfMessagesNotVisible"]
        )
    assert model_counts(bare_moto)["sqs"]["Message"] == waiting


def test_a_receipt_handle_of_a_message_already_gone_is_accepted_as_aws_does(bare_moto):
    sqs = client("sqs", bare_moto)
    url = sqs.create_queue(QueueName=f"work-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    for body in ("deleted", "purged"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2)["Messages"]
    handles = {m["Body"]: m["ReceiptHandle"] for m in received}
    sqs.delete_message(QueueUrl=url, ReceiptHandle=handles["deleted"])
    sqs.purge_queue(QueueUrl=url)

    sqs.delete_message(QueueUrl=url, ReceiptHandle=handles["deleted"])
    # Gone without a delete, so nothing could have remembered its handle.
    sqs.delete_message(QueueUrl=url, ReceiptHandle=handles["purged"])
    with pytest.raises(ClientError) as malformed:
        sqs.delete_message(QueueUrl=url, ReceiptHandle="not-a-receipt-handle")
    assert malformed.value.response["Error"]["Code"] == "ReceiptHandleIsInvalid"


def test_forwarded_events_leave_no_rule_copies(bare_moto):
    events = client("events", bare_moto)
    sqs = client("sqs", bare_moto)
    run = uuid.uuid4().hex[:8]
    queue_url = sqs.create_queue(QueueName=f"private-{run}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    private_arn = events.create_event_bus(Name=f"private-{run}")["EventBusArn"]
    events.create_event_bus(Name=f"global-{run}")
    pattern = json.dumps({"source": ["test.rules"]})
    events.put_rule(Name="forward", EventBusName=f"global-{run}", EventPattern=pattern)
    events.put_targets(Rule="forward", EventBusName=f"global-{run}", Targets=[{"Id": "bus", "Arn": private_arn}])
    events.put_rule(Name="deliver", EventBusName=f"private-{run}", EventPattern=pattern)
    events.put_targets(Rule="deliver", EventBusName=f"private-{run}", Targets=[{"Id": "queue", "Arn": queue_arn}])

    for n in range(20):
        events.put_events(
            Entries=[
                {"EventBusName": f"global-{run}", "Source": "test.rules", "DetailType": "t", "Detail": f'{{"n":{n}}}'}
            ]
        )

    rules = sum(
        len(events.list_rules(EventBusName=bus["Name"])["Rules"]) for bus in events.list_event_buses()["EventBuses"]
    )
    assert model_counts(bare_moto)["events"]["Rule"] == rules
    delivered = int(
        sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"][
            "ApproximateNumberOfMessages"
        ]
    )
    assert delivered == 20


def test_model_tracking_survives_a_moto_reset():
    with MotoServer() as server:
        dynamodb = client("dynamodb", server.endpoint_url)
        streamed_table(server.endpoint_url)
        request = urllib.request.Request(f"{server.endpoint_url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=30):
            pass
        assert model_counts(server.endpoint_url)["dynamodb"].get("Table", 0) == 0

        table, _ = streamed_table(server.endpoint_url)
        dynamodb.put_item(TableName=table, Item=_item("ORDER#1", "ORDER", 1))
        for _ in range(5):  # each update deep-copies the item it changes
            dynamodb.update_item(
                TableName=table,
                Key={"pk": {"S": "ORDER#1"}, "sk": {"S": "ORDER"}},
                UpdateExpression="SET version = version + :one",
                ExpressionAttributeValues={":one": {"N": "1"}},
            )

        live = model_counts(server.endpoint_url)["dynamodb"]
        assert (live["Table"], live["Item"]) == (1, 1)
