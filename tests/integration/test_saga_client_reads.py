"""What the suite and the operator's tools read from a stack, against in-process moto: every page of a
table, and how long the stack's own queues let a failing message live before it is dead-lettered."""

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from saga_client import SagaTarget
from saga_client.operations import count_items, every_item, slowest_dead_lettering_seconds


@pytest.fixture
def aws(monkeypatch) -> Iterator[None]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield


def test_scans_and_queries_follow_last_evaluated_key_to_the_last_page(aws):
    dynamodb: Any = boto3.client("dynamodb")
    dynamodb.create_table(
        TableName="ledger",
        KeySchema=[{"AttributeName": "customerId", "KeyType": "HASH"}, {"AttributeName": "entry", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "customerId", "AttributeType": "S"},
            {"AttributeName": "entry", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    for n in range(7):
        dynamodb.put_item(TableName="ledger", Item={"customerId": {"S": "ada"}, "entry": {"S": f"{n:02}"}})

    # Pages of two items stand in for DynamoDB's 1 MB pages: one page would hold two of seven.
    query = {"KeyConditionExpression": "customerId = :c", "ExpressionAttributeValues": {":c": {"S": "ada"}}}
    assert len(every_item(dynamodb, "scan", TableName="ledger", Limit=2)) == 7
    assert [i["entry"]["S"] for i in every_item(dynamodb, "query", TableName="ledger", Limit=2, **query)] == [
        f"{n:02}" for n in range(7)
    ]
    assert count_items(dynamodb, "scan", TableName="ledger", Limit=2) == 7


def test_the_slowest_queue_decides_how_long_a_failing_message_may_take_to_be_dead_lettered(aws):
    sqs: Any = boto3.client("sqs")
    dead_letters = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dead_letters, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    def queue(name: str, visibility: int, receives: int) -> str:
        policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": receives})
        attributes = {"VisibilityTimeout": str(visibility), "RedrivePolicy": policy}
        return sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]

    outputs = {
        "payment": {"queueUrl": queue("payment", 180, 5), "deadLetterQueueUrl": dead_letters},
        "shipping": {"queueUrl": queue("shipping", 300, 2), "deadLetterQueueUrl": dead_letters},
        "orderApiUrl": "https://example.com",
    }

    assert slowest_dead_lettering_seconds(SagaTarget(outputs=outputs)) == 180 * 5
