"""Notification's worker: order.confirmed / order.cancelled → a message on the customer topic.

Published from code (not an EventBridge → SNS target) so every message goes through
the queue, its retries and its dead-letter queue, and is sent once per event.
"""

import gc

# Lambda's init phase, to the last lines of this module: everything built here lives as long as the
# sandbox, so the cyclic collector would only scan it again and again (docs/performance.md).
gc.disable()

import os

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from saga_events import IntegrationEvent
from saga_events.consumer import EventConsumer

from notification.messages import CustomerMessage, order_cancelled, order_confirmed

logger = Logger(service="notification")
metrics = Metrics(namespace="OrderSaga", service="notification")
sns = boto3.client("sns")
dynamodb = boto3.client("dynamodb")  # for the idempotency records
TOPIC_ARN = os.environ["CUSTOMER_NOTIFICATIONS_TOPIC_ARN"]


def tell_confirmed(event: IntegrationEvent) -> None:
    _send(order_confirmed(event.data["orderId"], event.data["customerId"]), event)


def tell_cancelled(event: IntegrationEvent) -> None:
    _send(order_cancelled(event.data["orderId"], event.data["customerId"], event.data["reason"]), event)


def _send(message: CustomerMessage, cause: IntegrationEvent) -> None:
    sns.publish(
        TopicArn=TOPIC_ARN,
        Subject=message.subject,
        Message=message.body,
        # Subscribers filter on these: one customer's channel, one kind of news.
        MessageAttributes={
            "customerId": {"DataType": "String", "StringValue": message.customer_id},
            "orderId": {"DataType": "String", "StringValue": message.order_id},
            "kind": {"DataType": "String", "StringValue": message.kind},
            "eventId": {"DataType": "String", "StringValue": cause.id},
        },
    )
    metrics.add_metric(name="CustomersNotified", unit=MetricUnit.Count, value=1)


consume = EventConsumer(
    logger,
    {("order.confirmed", 1): tell_confirmed, ("order.cancelled", 1): tell_cancelled},
    idempotency_table=os.environ["IDEMPOTENCY_TABLE"],
    dynamodb_client=dynamodb,
)

handle = consume.lambda_handler(metrics)


# Init is over. Frozen, what it built is never scanned again: not by the first request either.
gc.freeze()
gc.enable()
