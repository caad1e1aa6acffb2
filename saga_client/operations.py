"""What an operator or a test does to a running saga: seed stock, place orders, read state."""

import json
import time
from collections.abc import Iterable
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from saga_client.target import HttpResponse, SagaTarget

_deserialize = TypeDeserializer().deserialize


def seed_stock(target: SagaTarget, levels: dict[str, int]) -> None:
    table = target.table("inventory", "stock")
    for sku, available in levels.items():
        target.client("dynamodb").put_item(
            TableName=table, Item={"sku": {"S": sku}, "available": {"N": str(available)}}
        )


def read_item(target: SagaTarget, context: str, table: str, key: dict[str, str]) -> dict[str, Any] | None:
    """One item of a context's table, consistently read, as plain Python values."""
    item = (
        target.client("dynamodb")
        .get_item(
            TableName=target.table(context, table),
            Key={name: {"S": value} for name, value in key.items()},
            ConsistentRead=True,
        )
        .get("Item")
    )
    return None if item is None else plain(item)


def every_item(dynamodb: Any, operation: str, **request: Any) -> list[dict[str, Any]]:
    """Every item a Scan or Query (`operation`) finds, page after page: DynamoDB ends a page at
    1 MB and says where the next begins in LastEvaluatedKey, which boto3's paginator follows."""
    return [item for page in dynamodb.get_paginator(operation).paginate(**request) for item in page["Items"]]


def count_items(dynamodb: Any, operation: str, **request: Any) -> int:
    """How many items a Scan or Query with Select COUNT finds, over every page."""
    return sum(page["Count"] for page in dynamodb.get_paginator(operation).paginate(Select="COUNT", **request))


def plain(item: dict[str, Any]) -> dict[str, Any]:
    return {name: _deserialize(value) for name, value in item.items()}


def stock_level(target: SagaTarget, sku: str) -> int | None:
    item = read_item(target, "inventory", "stock", {"sku": sku})
    return None if item is None else int(item["available"])


def reservation(target: SagaTarget, order_id: str) -> dict[str, Any] | None:
    return read_item(target, "inventory", "reservations", {"orderId": order_id})


def place_order(
    target: SagaTarget, order: dict[str, Any], idempotency_key: str | None = None, customer: str | None = None
) -> HttpResponse:
    """POST /orders as `customer` (signed in by name), or as a new customer of its own."""
    headers = {"idempotency-key": idempotency_key} if idempotency_key else {}
    return target.http("POST", "/orders", order, headers, customer=customer)


def get_order(target: SagaTarget, order_id: str, customer: str | None = None) -> HttpResponse:
    """GET the order as `customer`, or as the customer who placed it through this client."""
    return target.http("GET", f"/orders/{order_id}", customer=customer)


def cancel_order(target: SagaTarget, order_id: str, customer: str | None = None) -> HttpResponse:
    return target.http("POST", f"/orders/{order_id}/cancel", customer=customer)


def event_log(target: SagaTarget, correlation_id: str) -> list[dict[str, Any]]:
    """Every entry the global bus's event log holds for one order, oldest first.

    An event the bus carried twice is listed twice: at-least-once delivery is what tests of
    duplicates must be able to see. `first_of_each` gives one entry per event id."""
    logs = target.client("logs")
    group = target.outputs["eventLogGroup"]
    found: list[tuple[str, int, dict[str, Any]]] = []
    # A quoted term pattern lets CloudWatch Logs do the searching on a real, busy log group.
    kwargs: dict[str, Any] = {"logGroupName": group, "filterPattern": f'"{correlation_id}"'}
    while True:
        page = logs.filter_log_events(**kwargs)
        for entry in page.get("events", []):
            envelope = json.loads(entry["message"])
            cloudevent = envelope.get("detail", {})
            if cloudevent.get("correlationid") == correlation_id:
                found.append((cloudevent["time"], entry["timestamp"], cloudevent))
        if not page.get("nextToken"):
            break
        kwargs["nextToken"] = page["nextToken"]
    return [event for _, _, event in sorted(found, key=lambda logged: logged[:2])]


def first_of_each(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per event id (the first), for reading a saga rather than checking its delivery."""
    seen: set[str] = set()
    return [event for event in events if not (event["id"] in seen or seen.add(event["id"]))]


def queue_messages(target: SagaTarget, queue_url: str) -> list[dict[str, Any]]:
    """Messages waiting in a queue (read without consuming them for long)."""
    response = target.client("sqs").receive_message(
        QueueUrl=queue_url,
        MaxNumberOfMessages=10,
        VisibilityTimeout=0,
        WaitTimeSeconds=0,
        AttributeNames=["All"],
    )
    return response.get("Messages", [])


def queue_depth(target: SagaTarget, queue_url: str) -> int:
    attributes = target.client("sqs").get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def slowest_dead_lettering_seconds(target: SagaTarget) -> int:
    """How long a message that keeps failing can stay in the slowest context's queue before SQS
    dead-letters it: the queue's VisibilityTimeout (it comes back that long after each receive) times
    its RedrivePolicy's maxReceiveCount, read from the stack's queues themselves."""
    sqs = target.client("sqs")
    slowest = 0
    for value in target.outputs.values():
        if not (isinstance(value, dict) and "queueUrl" in value):
            continue
        attributes = sqs.get_queue_attributes(
            QueueUrl=value["queueUrl"], AttributeNames=["VisibilityTimeout", "RedrivePolicy"]
        )["Attributes"]
        receives = int(json.loads(attributes.get("RedrivePolicy") or "{}").get("maxReceiveCount", 1))
        slowest = max(slowest, int(attributes["VisibilityTimeout"]) * receives)
    return slowest


def wait_until_quiet(saga: SagaTarget, contexts: Iterable[str], timeout: float, quiet_checks: int = 3) -> bool:
    """Whether every named context's queue stayed empty, nothing in flight, for a few checks in a row
    within `timeout`. One empty look is not enough: the outbox relay may be about to publish."""
    deadline = time.monotonic() + timeout
    streak = 0
    while streak < quiet_checks:
        if time.monotonic() > deadline:
            return False
        busy = sum(queue_depth(saga, saga.context(context)["queueUrl"]) for context in contexts)
        streak = streak + 1 if busy == 0 else 0
        time.sleep(0.5)
    return True
