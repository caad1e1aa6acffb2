"""Handlers against moto in-process: real boto3 calls, no network, a global bus we can read."""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.integration.lambda_events import REGION

GLOBAL_BUS = "saga-global"


@dataclass
class Cloud:
    dynamodb: Any
    events: Any
    sqs: Any
    tap_queue: str

    def create_table(self, name: str, hash_key: str) -> None:
        self.dynamodb.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": hash_key, "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": hash_key, "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )

    def published(self) -> list[dict[str, Any]]:
        """Every CloudEvent put on the global bus since the last call."""
        events = []
        while messages := self.sqs.receive_message(
            QueueUrl=self.tap_queue, MaxNumberOfMessages=10, WaitTimeSeconds=0
        ).get("Messages", []):
            for message in messages:
                events.append(json.loads(message["Body"])["detail"])
                self.sqs.delete_message(QueueUrl=self.tap_queue, ReceiptHandle=message["ReceiptHandle"])
        return events

    def items(self, table: str) -> list[dict[str, Any]]:
        return self.dynamodb.scan(TableName=table, ConsistentRead=True)["Items"]


@pytest.fixture
def cloud(monkeypatch: pytest.MonkeyPatch) -> Iterator[Cloud]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("EVENT_BUS_NAME", GLOBAL_BUS)
    with mock_aws():
        events, sqs = boto3.client("events"), boto3.client("sqs")
        events.create_event_bus(Name=GLOBAL_BUS)
        tap = sqs.create_queue(QueueName="tap")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=tap, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_rule(
            Name="everything", EventBusName=GLOBAL_BUS, EventPattern=json.dumps({"source": [{"prefix": "saga."}]})
        )
        events.put_targets(Rule="everything", EventBusName=GLOBAL_BUS, Targets=[{"Id": "tap", "Arn": arn}])
        yield Cloud(boto3.client("dynamodb"), events, sqs, tap)
