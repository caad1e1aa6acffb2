"""Workers that keep no idempotency record for their main step (inventory's reservation, shipping's
booking, loyalty's award): the outcome is announced once, a repeat of its cause publishes nothing, and
a publish that failed is made on the retry. The outcome's own record says whether it was announced."""

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from saga_events import new_event

from tests.harness.cloud import Cloud, mocked_cloud
from tests.harness.declared_stack import declared_stack
from tests.harness.lambda_events import LambdaContextStub, record_for, sqs_event
from tests.harness.placed import placed_v3


def captured(order_id: str) -> dict[str, Any]:
    return new_event(
        "payment.captured",
        {
            "orderId": order_id,
            "customerId": "cust-42",
            "paymentId": "ch_1",
            "amount": {"amount": 2500, "currency": "EUR"},
            "capturedAt": "2026-01-01T00:00:02Z",
        },
        source="saga.payment",
        correlation_id=order_id,
        causation_id=str(uuid.uuid4()),
    )


def reserve(cloud: Cloud, table: Callable[[str], str], order_id: str) -> tuple[list[dict], dict]:
    cloud.dynamodb.put_item(TableName=table("STOCK_TABLE"), Item={"sku": {"S": "MUG"}, "available": {"N": "5"}})
    return [], placed_v3(order_id)


def book(cloud: Cloud, table: Callable[[str], str], order_id: str) -> tuple[list[dict], dict]:
    return [placed_v3(order_id)], captured(order_id)


def award(cloud: Cloud, table: Callable[[str], str], order_id: str) -> tuple[list[dict], dict]:
    return [], captured(order_id)


# Per context: what to set up (events to deliver first, and the cause), and the outcome it announces.
CASES = {
    "inventory": (reserve, "inventory.reserved"),
    "shipping": (book, "shipping.scheduled"),
    "loyalty": (award, "loyalty.points-awarded"),
}


@pytest.fixture(params=sorted(CASES))
def worker(request, monkeypatch):
    stack = declared_stack()
    declared = stack.worker(request.param)
    with mocked_cloud(monkeypatch) as cloud:
        module = cloud.deploy(declared, stack, monkeypatch)
        yield request.param, cloud, module, declared


def deliver(module: Any, event: dict[str, Any]) -> bool:
    response = module.handle(sqs_event(record_for(event)), LambdaContextStub())
    return response["batchItemFailures"] == []


def prepared(worker) -> tuple[Cloud, Any, dict[str, Any], str, str]:
    context, cloud, module, declared = worker
    setup, announced = CASES[context]
    before, cause = setup(cloud, lambda variable: declared.environment[variable], str(uuid.uuid4()))
    for event in before:
        assert deliver(module, event)
    cloud.published()
    return cloud, module, cause, announced, declared.environment["IDEMPOTENCY_TABLE"]


def test_a_repeat_announces_nothing_and_no_idempotency_record_is_kept(worker):
    cloud, module, cause, announced, idempotency_table = prepared(worker)

    assert deliver(module, cause)
    [outcome] = cloud.published()
    assert (outcome["type"], outcome["causationid"]) == (announced, cause["id"])

    assert deliver(module, cause)
    assert deliver(module, cause)

    assert cloud.published() == []
    assert cloud.items(idempotency_table) == []


def test_an_outcome_whose_publish_failed_is_announced_on_the_retry(worker, monkeypatch):
    cloud, module, cause, announced, _ = prepared(worker)
    publish = module.publisher.publish

    def refuse(events: list) -> None:
        raise ConnectionError("EventBridge is unreachable")

    monkeypatch.setattr(module.publisher, "publish", refuse)
    assert not deliver(module, cause)
    monkeypatch.setattr(module.publisher, "publish", publish)

    assert deliver(module, cause)
    assert deliver(module, cause)

    [outcome] = cloud.published()
    assert outcome["type"] == announced
