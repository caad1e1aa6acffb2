"""Handlers against moto in-process: real boto3 calls, no network, a global bus we can read.

`mocked_cloud` starts moto; `Cloud.deploy` then creates what one function's environment
names (tables, bus, topics, field keys, as the Pulumi program declares them) and imports its handler
module with exactly that environment, as a cold start would.
"""

import importlib
import json
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import cache
from types import ModuleType
from typing import Any

import boto3
import botocore.loaders
import botocore.session
import pytest
from moto import mock_aws
from saga_events.sealing import FIELD_KEY, SEALED_FIELD_KEYS

from localcloud.emulator.patches import kms_key_pairs_on_first_use
from saga_client.operations import every_item
from tests.harness.declared_stack import DeclaredFunction, DeclaredStack, DeclaredTable
from tests.harness.lambda_events import REGION


class Cloud:
    def __init__(self) -> None:
        self.dynamodb = boto3.client("dynamodb")
        self.events = boto3.client("events")
        self.sqs = boto3.client("sqs")
        self.sns = boto3.client("sns")
        self.kms = boto3.client("kms")
        self.tap_queue = self.sqs.create_queue(QueueName="tap")["QueueUrl"]
        self._tap_arn = self.sqs.get_queue_attributes(QueueUrl=self.tap_queue, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self.topic_tap_queue: str | None = None
        self._tables: set[str] = set()
        self._buses: set[str] = set()
        self._topics: dict[str, str] = {}
        self._key_aliases: set[str] = set()

    def create_table(
        self,
        name: str,
        hash_key: str,
        range_key: str | None = None,
        indexes: tuple[tuple[str, str, str | None], ...] = (),
    ) -> None:
        def schema(hash_key: str, range_key: str | None) -> list[dict[str, str]]:
            keys = [(hash_key, "HASH")] + ([(range_key, "RANGE")] if range_key else [])
            return [{"AttributeName": key, "KeyType": kind} for key, kind in keys]

        attributes = dict.fromkeys(k for k in (hash_key, range_key, *(k for i in indexes for k in i[1:])) if k)
        self.dynamodb.create_table(
            TableName=name,
            KeySchema=schema(hash_key, range_key),
            AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"} for key in attributes],
            BillingMode="PAY_PER_REQUEST",
            **(
                {
                    "GlobalSecondaryIndexes": [
                        {"IndexName": index, "KeySchema": schema(h, r), "Projection": {"ProjectionType": "KEYS_ONLY"}}
                        for index, h, r in indexes
                    ]
                }
                if indexes
                else {}
            ),
        )
        self._tables.add(name)

    def create_bus(self, name: str) -> None:
        """A bus whose catch-all rule copies every saga event to the tap queue."""
        self.events.create_event_bus(Name=name)
        self.events.put_rule(
            Name="everything", EventBusName=name, EventPattern=json.dumps({"source": [{"prefix": "saga."}]})
        )
        self.events.put_targets(Rule="everything", EventBusName=name, Targets=[{"Id": "tap", "Arn": self._tap_arn}])
        self._buses.add(name)

    def create_topic(self, name: str) -> str:
        """A topic whose messages are copied to the topic tap queue; its ARN."""
        arn = self.sns.create_topic(Name=name)["TopicArn"]
        if self.topic_tap_queue is None:
            self.topic_tap_queue = self.sqs.create_queue(QueueName="topic-tap")["QueueUrl"]
        queue_arn = self.sqs.get_queue_attributes(QueueUrl=self.topic_tap_queue, AttributeNames=["QueueArn"])
        self.sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue_arn["Attributes"]["QueueArn"])
        return arn

    def create_field_key(self, alias: str) -> None:
        """A context's field key under the alias both its producers and its worker are given."""
        if alias not in self._key_aliases:
            self.kms.create_alias(AliasName=alias, TargetKeyId=self.kms.create_key()["KeyMetadata"]["KeyId"])
            self._key_aliases.add(alias)

    def published(self) -> list[dict[str, Any]]:
        """Every CloudEvent put on a bus since the last call."""
        return [json.loads(body)["detail"] for body in self._drain(self.tap_queue)]

    def notified(self) -> list[dict[str, Any]]:
        """Every message published to a topic since the last call (as SNS delivers it to SQS)."""
        if self.topic_tap_queue is None:
            return []
        return [json.loads(body) for body in self._drain(self.topic_tap_queue)]

    def _drain(self, queue: str) -> list[str]:
        bodies = []
        while messages := self.sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=0).get(
            "Messages", []
        ):
            for message in messages:
                bodies.append(message["Body"])
                self.sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
        return bodies

    def items(self, table: str) -> list[dict[str, Any]]:
        return every_item(self.dynamodb, "scan", TableName=table, ConsistentRead=True)

    def snapshot(self, tables: Iterable[str]) -> dict[str, list[str]]:
        """Every item of the tables, comparable before and after."""
        return {table: sorted(json.dumps(item, sort_keys=True) for item in self.items(table)) for table in tables}

    def empty(self, tables: Iterable[DeclaredTable]) -> None:
        for table in tables:
            keys = [table.hash_key] + ([table.range_key] if table.range_key else [])
            deletes = [{"DeleteRequest": {"Key": {key: item[key] for key in keys}}} for item in self.items(table.name)]
            for start in range(0, len(deletes), 25):  # BatchWriteItem's most
                self.dynamodb.batch_write_item(RequestItems={table.name: deletes[start : start + 25]})

    def deploy(self, function: DeclaredFunction, stack: DeclaredStack, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
        """Create what the function's environment names, then import its handler module with
        exactly the declared environment variables set (and no other function's)."""
        environment = {}
        for variable, value in function.environment.items():
            if value in stack.tables and value not in self._tables:
                table = stack.tables[value]
                self.create_table(table.name, table.hash_key, table.range_key, table.indexes)
            elif value in stack.buses and value not in self._buses:
                self.create_bus(value)
            elif value in stack.topics:
                # Declared ARNs are the mocks' inventions; use the ARN moto gives the topic.
                name = stack.topics[value]
                if name not in self._topics:
                    self._topics[name] = self.create_topic(name)
                value = self._topics[name]
            elif variable == FIELD_KEY:
                self.create_field_key(value)
            elif variable == SEALED_FIELD_KEYS:
                for alias in json.loads(value).values():
                    self.create_field_key(alias)
            environment[variable] = value
        return import_handler(function, environment, stack, monkeypatch)


def import_handler(
    function: DeclaredFunction,
    environment: dict[str, str],
    stack: DeclaredStack,
    monkeypatch: pytest.MonkeyPatch,
) -> ModuleType:
    """Import the handler module afresh (its clients and config are built at import, as on a
    cold start) with these variables set and every other function's variables unset."""
    for variable in stack.variable_names():
        monkeypatch.delenv(variable, raising=False)
    for variable, value in environment.items():
        monkeypatch.setenv(variable, value)
    sys.modules.pop(function.module, None)
    return importlib.import_module(function.module)


@cache
def _shared_loader(search_path_string: str | None = None) -> botocore.loaders.Loader:
    return botocore.loaders.create_loader(search_path_string)


@contextmanager
def mocked_cloud(monkeypatch: pytest.MonkeyPatch) -> Iterator[Cloud]:
    # Powertools' idempotency layer builds its client from a new boto3 Session, and every new
    # session parses the service models again (~0.6 s for DynamoDB's); one shared loader makes
    # a cold start in tests cost milliseconds. What the handlers do is unchanged.
    monkeypatch.setattr(botocore.session, "create_loader", _shared_loader)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    # Every field key would otherwise cost an RSA key pair it never uses (~40 ms of CPU).
    kms_key_pairs_on_first_use.apply()
    with mock_aws():
        yield Cloud()
