"""Fault injection for chaos runs: each fault reaches callers through AWS's own API, only the
system's credentials meet it, and nothing is injected until a plan asks for it."""

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from localcloud.emulator.clients import client
from localcloud.emulator.server import MotoServer
from localcloud.faults.injector import FaultInjector
from localcloud.faults.plan import FaultPlan


class NoFunctions:
    def kill_instance(self, function_name: str) -> bool:
        return False


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoServer]:
    with MotoServer() as server:
        yield server


@pytest.fixture
def faults(moto: MotoServer) -> Iterator[FaultInjector]:
    injector = FaultInjector(moto.endpoint_url, NoFunctions(), [])
    yield injector
    injector.stop()


def system(service: str, moto: MotoServer) -> Any:
    # No SDK retries: the test must see the fault itself, not the retry that hides it.
    return client(service, moto.endpoint_url, retries={"total_max_attempts": 1, "mode": "standard"})


def observer(service: str, moto: MotoServer) -> Any:
    return boto3.client(
        service,
        endpoint_url=moto.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="observer",
        aws_secret_access_key="observer",
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
    )


def new_queue(moto: MotoServer) -> str:
    return system("sqs", moto).create_queue(QueueName=f"q-{uuid.uuid4().hex[:8]}")["QueueUrl"]


def new_table(moto: MotoServer) -> str:
    name = f"t-{uuid.uuid4().hex[:8]}"
    system("dynamodb", moto).create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


def test_throttled_dynamodb_request_answers_as_aws_does(moto, faults):
    table = new_table(moto)
    faults.start(FaultPlan(seed=1, dynamodb_throttling=1.0))

    with pytest.raises(ClientError) as refused:
        system("dynamodb", moto).put_item(TableName=table, Item={"pk": {"S": "a"}})

    assert refused.value.response["Error"]["Code"] == "ProvisionedThroughputExceededException"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert faults.injected()["dynamodb_throttling"] == 1
    # The throttled write did not happen; the observer reads the table undisturbed.
    assert "Item" not in observer("dynamodb", moto).get_item(TableName=table, Key={"pk": {"S": "a"}})


def test_put_events_refuses_entries_while_answering_200(moto, faults):
    events = system("events", moto)
    faults.start(FaultPlan(seed=1, put_events_failure=1.0))

    response = events.put_events(
        Entries=[{"Source": "test", "DetailType": "tested", "Detail": json.dumps({"n": n})} for n in range(3)]
    )

    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert response["FailedEntryCount"] == 3
    assert {entry["ErrorCode"] for entry in response["Entries"]} == {"InternalFailure"}
    assert faults.injected()["put_events_failure"] == 3


def test_deleted_message_is_delivered_again(moto, faults):
    sqs = system("sqs", moto)
    queue = new_queue(moto)
    sqs.send_message(QueueUrl=queue, MessageBody="the only one")
    faults.start(FaultPlan(seed=1, duplicate_delivery=1.0, max_delay_seconds=1))

    [first] = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1)["Messages"]
    sqs.delete_message(QueueUrl=queue, ReceiptHandle=first["ReceiptHandle"])
    again = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=3)["Messages"]

    assert [m["Body"] for m in again] == ["the only one"]
    assert faults.injected()["duplicate_delivery"] == 1


def test_sent_message_is_held_back(moto, faults):
    sqs = system("sqs", moto)
    queue = new_queue(moto)
    faults.start(FaultPlan(seed=1, delivery_delay=1.0, max_delay_seconds=2))

    sqs.send_message(QueueUrl=queue, MessageBody="late")
    sent = time.monotonic()
    assert "Messages" not in sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=0)
    [late] = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=5)["Messages"]

    assert late["Body"] == "late"
    assert time.monotonic() - sent >= 0.9
    assert faults.injected()["delivery_delay"] == 1


def test_only_the_systems_credentials_meet_faults(moto, faults):
    table = new_table(moto)
    faults.start(FaultPlan(seed=1, dynamodb_throttling=1.0, put_events_failure=1.0))

    observer("dynamodb", moto).put_item(TableName=table, Item={"pk": {"S": "a"}})
    response = observer("events", moto).put_events(Entries=[{"Source": "test", "DetailType": "tested", "Detail": "{}"}])

    assert response["FailedEntryCount"] == 0
    assert faults.injected()["dynamodb_throttling"] == 0


def test_nothing_is_injected_once_the_plan_is_stopped(moto, faults):
    table = new_table(moto)
    faults.start(FaultPlan(seed=1, dynamodb_throttling=1.0))
    faults.stop()

    system("dynamodb", moto).put_item(TableName=table, Item={"pk": {"S": "a"}})

    assert faults.injected()["dynamodb_throttling"] == 0


def test_the_same_seed_draws_the_same_faults(moto, faults):
    table = new_table(moto)
    dynamodb = system("dynamodb", moto)

    def draws() -> list[bool]:
        faults.start(FaultPlan(seed=7, dynamodb_throttling=0.5))
        outcome = []
        for n in range(20):
            try:
                dynamodb.put_item(TableName=table, Item={"pk": {"S": str(n)}})
                outcome.append(False)
            except ClientError:
                outcome.append(True)
        faults.stop()
        return outcome

    first, second = draws(), draws()
    assert first == second
    assert 0 < sum(first) < 20


def test_an_unknown_fault_is_refused(moto):
    with pytest.raises(ValueError, match="unknown fault settings: lightning"):
        FaultPlan.from_json({"lightning": 1.0})
    with pytest.raises(ValueError, match="between 0 and 1"):
        FaultPlan.from_json({"dynamodb_throttling": 2.0})
