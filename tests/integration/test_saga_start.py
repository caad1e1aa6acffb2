"""Starting the orchestrated saga from order.placed, against in-process moto's Step Functions: one
execution per order, named after it, whatever number of times the stream delivers the record."""

import json

import boto3
from aws_lambda_powertools import Logger
from order.saga_start import SagaStarter

from tests.harness.placed import placed_v3

DEFINITION = {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}


def starter() -> SagaStarter:
    sfn = boto3.client("stepfunctions")
    machine = sfn.create_state_machine(
        name="order-saga",
        definition=json.dumps(DEFINITION),
        roleArn="arn:aws:iam::123456789012:role/order-orchestrator",
    )["stateMachineArn"]
    return SagaStarter(sfn, machine, Logger(service="tests"))


def test_one_execution_per_order_named_after_it_however_often_it_is_started(cloud, order_id):
    saga = starter()
    placed = placed_v3(order_id)

    first = saga.start(placed)
    again = saga.start(placed)

    assert first == again
    executions = boto3.client("stepfunctions").list_executions(stateMachineArn=saga.state_machine_arn)["executions"]
    assert [e["name"] for e in executions] == [order_id]
    started = boto3.client("stepfunctions").describe_execution(executionArn=first)
    assert json.loads(started["input"]) == {"orderId": order_id, "placed": placed}


def test_only_order_placed_v3_starts_the_saga(cloud, order_id):
    saga = starter()
    v3 = placed_v3(order_id)
    v2 = {**v3, "dataschema": v3["dataschema"].replace("/v3.json", "/v2.json")}

    assert saga.starts_with(v3)
    assert not saga.starts_with(v2)
    assert not saga.starts_with({**v3, "type": "order.confirmed"})
