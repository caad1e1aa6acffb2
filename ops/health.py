"""`health`: what each operations alarm would say now, and which orders are stuck.

The alarms are declared from components/alarm_rules.py; here the same rules are evaluated against
the live system, so this works where alarms are never evaluated (the embedded cloud). An SQS
alarm's metric is what the queue itself reports: ApproximateNumberOfMessagesVisible is the
queue's attribute of that name, and ApproximateAgeOfOldestMessage is the age of its oldest
message (its SentTimestamp; CloudWatch's figure, which moto does not publish). Lambda's and
EventBridge's metrics are read from CloudWatch over the alarm's own period; no datapoints is
not a breach, as the alarms treat missing data.

Stuck orders are orders neither CONFIRMED nor CANCELLED longer after they were placed than the
stack's order deadline (its `orderDeadlineSeconds` output, ops/stack.py), read from the orders
table: orders the sweeper has not ended yet, which it should within its next run or so.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from components.alarm_rules import API_SERVER_ERRORS, PERIOD_SECONDS, RULES, AlarmRule, Watched
from ops.stack import Stack

TERMINAL_STATUSES = ("CONFIRMED", "CANCELLED")
_deserialize = TypeDeserializer().deserialize


@dataclass(frozen=True)
class AlarmView:
    alarm: str
    says: str
    metric: str
    value: float | None
    threshold: float
    state: str  # "ALARM" or "OK"

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class StuckOrder:
    order_id: str
    status: str
    placed_at: str
    age_seconds: float

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def alarms(stack: Stack, now: float | None = None) -> list[AlarmView]:
    now = now or time.time()
    views: list[AlarmView] = []
    threshold_seconds = stack.oldest_message_alarm_seconds
    for context in stack.contexts():
        outputs = stack.outputs[context]
        for rule in RULES:
            for alarm_name, says, value in _measure(stack, context, outputs, rule, now):
                views.append(_view(alarm_name, says, rule, value, threshold_seconds))
    if stack.outputs.get("orderApiId"):
        rule = API_SERVER_ERRORS
        value = _metric(stack, rule, {"ApiId": stack.outputs["orderApiId"], "Stage": "$default"}, now)
        views.append(_view(f"order-{rule.suffix}", f"order API: {rule.says}", rule, value, threshold_seconds))
    return views


def _view(alarm: str, says: str, rule: AlarmRule, value: float | None, oldest_message_seconds: int) -> AlarmView:
    breached = value is not None and rule.breached(value, oldest_message_seconds)
    threshold = rule.threshold_for(oldest_message_seconds)
    return AlarmView(alarm, says, rule.metric, value, threshold, "ALARM" if breached else "OK")


def _measure(
    stack: Stack, context: str, outputs: dict[str, Any], rule: AlarmRule, now: float
) -> list[tuple[str, str, float | None]]:
    target = stack.target
    if rule.watches is Watched.DEAD_LETTER_QUEUE:
        visible = target.client("sqs").get_queue_attributes(
            QueueUrl=outputs["deadLetterQueueUrl"], AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]["ApproximateNumberOfMessages"]
        return [(f"{context}-{rule.suffix}", f"{context}: {rule.says}", float(visible))]
    if rule.watches is Watched.QUEUE:
        if not outputs.get("queueUrl"):
            return []
        queue = outputs["queueUrl"]
        return [(f"{context}-{rule.suffix}", f"{context}: {rule.says}", _oldest_age(stack, rule, queue, now))]
    if rule.watches is Watched.FORWARDING_RULE:
        if not outputs.get("forwardingRuleArn"):
            return []
        rule_name = outputs["forwardingRuleArn"].rsplit("/", 1)[-1]
        dimensions = {"EventBusName": stack.outputs["globalBusName"], "RuleName": rule_name}
        return [(f"{context}-{rule.suffix}", f"{context}: {rule.says}", _metric(stack, rule, dimensions, now))]
    return [
        (
            f"{context}-{function}-{rule.suffix}",
            f"{context} {function}: {rule.says}",
            _metric(stack, rule, {"FunctionName": name}, now),
        )
        for function, name in outputs["functions"].items()
    ]


def _oldest_age(stack: Stack, rule: AlarmRule, queue_url: str, now: float) -> float | None:
    """An empty queue has no oldest message; otherwise CloudWatch's figure. A work queue is never
    received from to find out: a receive counts against a message's maxReceiveCount."""
    attributes = stack.target.client("sqs").get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    if int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"]) == 0:
        return 0.0
    return _metric(stack, rule, {"QueueName": queue_url.rsplit("/", 1)[-1]}, now)


def _metric(stack: Stack, rule: AlarmRule, dimensions: dict[str, str], now: float) -> float | None:
    """The rule's statistic over the last period, as the alarm evaluates it; None without datapoints."""
    answer = stack.target.client("cloudwatch").get_metric_statistics(
        Namespace=rule.namespace,
        MetricName=rule.metric,
        Dimensions=[{"Name": k, "Value": v} for k, v in dimensions.items()],
        StartTime=datetime.fromtimestamp(now - PERIOD_SECONDS, UTC),
        EndTime=datetime.fromtimestamp(now, UTC),
        Period=PERIOD_SECONDS,
        Statistics=[rule.statistic],
    )
    values = [point[rule.statistic] for point in answer.get("Datapoints", [])]
    return max(values) if values else None


def stuck_orders(stack: Stack, now: datetime | None = None) -> list[StuckOrder]:
    """Orders not terminal past the deadline, oldest first (a scan of the orders table, every page)."""
    now = now or datetime.now(UTC)
    deadline = timedelta(seconds=stack.order_deadline_seconds)
    pages = (
        stack.target.client("dynamodb")
        .get_paginator("scan")
        .paginate(
            TableName=stack.target.table("order", "orders"),
            FilterExpression="sk = :order AND NOT #status IN (:confirmed, :cancelled)",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={
                ":order": {"S": "ORDER"},
                ":confirmed": {"S": TERMINAL_STATUSES[0]},
                ":cancelled": {"S": TERMINAL_STATUSES[1]},
            },
            ProjectionExpression="orderId, #status, placedAt",
        )
    )
    stuck = []
    for page in pages:
        for item in page.get("Items", []):
            order = {name: _deserialize(value) for name, value in item.items()}
            placed = datetime.fromisoformat(order["placedAt"])
            placed = placed if placed.tzinfo else placed.replace(tzinfo=UTC)
            if now - placed > deadline:
                stuck.append(
                    StuckOrder(order["orderId"], order["status"], order["placedAt"], (now - placed).total_seconds())
                )
    return sorted(stuck, key=lambda order: order.placed_at)
