"""DynamoDB stream event source mapping with filterCriteria."""

import uuid

import pytest
from aws_lambda_powertools.utilities.parser.models import (
    DynamoDBStreamLambdaOnFailureDestinationModel,
    DynamoDBStreamModel,
)

from localcloud.emulator.clients import client
from localcloud.lambda_runtime.records import dynamodb_record, stream_failure_record


def test_stream_mapping_delivers_only_records_matching_the_filter(cloud, mailbox):
    dynamodb = client("dynamodb", cloud.endpoint_url)
    table = cloud.outputs["tableName"]
    run = uuid.uuid4().hex
    dynamodb.put_item(TableName=table, Item={"pk": {"S": f"{run}-1"}, "kind": {"S": "wanted"}})
    dynamodb.put_item(TableName=table, Item={"pk": {"S": f"{run}-2"}, "kind": {"S": "other"}})
    # A MODIFY of a wanted item is filtered out by eventName.
    dynamodb.put_item(TableName=table, Item={"pk": {"S": f"{run}-1"}, "kind": {"S": "wanted"}, "v": {"N": "2"}})

    def ours(m):
        return m.get("source") == "streamer" and m["record"]["dynamodb"]["Keys"]["pk"]["S"].startswith(run)

    results = mailbox("results")
    [delivered] = results.wait_for(ours)
    results.settle(1.5)

    assert len([m for m in results.seen if ours(m)]) == 1
    record = delivered["record"]
    assert record["eventName"] == "INSERT"
    assert record["eventSource"] == "aws:dynamodb"
    [mapping] = [m for m in cloud.deployment.event_source_mappings if m.source_type == "dynamodb"]
    assert record["eventSourceARN"] == mapping.event_source_arn
    assert record["dynamodb"]["NewImage"] == {"pk": {"S": f"{run}-1"}, "kind": {"S": "wanted"}}
    assert record["dynamodb"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    DynamoDBStreamModel.model_validate({"Records": [record]})


def test_on_failure_record_has_the_shape_lambda_sends():
    raw = {
        "eventID": "1",
        "eventName": "INSERT",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "ApproximateCreationDateTime": 1700000000,
            "Keys": {"pk": {"S": "a"}},
            "SequenceNumber": "100",
            "SizeBytes": 10,
            "StreamViewType": "NEW_IMAGE",
        },
    }
    record = dynamodb_record(raw, "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/x")
    failure = stream_failure_record(
        records=[record],
        shard_id="shardId-1",
        stream_arn=record["eventSourceARN"],
        function_arn="arn:aws:lambda:us-east-1:123456789012:function:f",
        invoke_count=3,
        condition="RetryAttemptsExhausted",
        function_error="Unhandled",
    )
    model = DynamoDBStreamLambdaOnFailureDestinationModel.model_validate(failure)
    assert model.ddb_stream_batch_info.batch_size == 1


def test_stream_mapping_still_delivers_after_a_cancelled_transaction(cloud, mailbox):
    dynamodb = client("dynamodb", cloud.endpoint_url)
    table = cloud.outputs["tableName"]
    run = uuid.uuid4().hex
    dynamodb.put_item(TableName=table, Item={"pk": {"S": f"{run}-1"}, "kind": {"S": "wanted"}})
    results = mailbox("results")
    results.wait_for(lambda m: _streamed_key(m) == f"{run}-1")

    # A transaction whose condition fails is cancelled: nothing is written.
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
        dynamodb.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": table,
                        "Item": {"pk": {"S": f"{run}-1"}, "kind": {"S": "wanted"}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
            ]
        )
    dynamodb.put_item(TableName=table, Item={"pk": {"S": f"{run}-2"}, "kind": {"S": "wanted"}})

    results.wait_for(lambda m: _streamed_key(m) == f"{run}-2", timeout=10)


def _streamed_key(message):
    return message["record"]["dynamodb"]["Keys"]["pk"]["S"] if message.get("source") == "streamer" else None
