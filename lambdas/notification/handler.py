"""Notification's worker: order.confirmed / order.cancelled → a message on the customer topic
(notification/service.py)."""

import gc

# Lambda's init phase, to the last lines of this module: everything built here lives as long as the
# sandbox, so the cyclic collector would only scan it again and again (docs/performance.md).
gc.disable()

import os

import boto3
from aws_lambda_powertools import Logger, Metrics
from saga_events import IntegrationEvent
from saga_events.consumer import EventConsumer

from notification.service import NotificationService

logger = Logger(service="notification")
metrics = Metrics(namespace="OrderSaga", service="notification")
dynamodb = boto3.client("dynamodb")  # for the idempotency records
service = NotificationService(boto3.client("sns"), os.environ["CUSTOMER_NOTIFICATIONS_TOPIC_ARN"], metrics=metrics)


def tell_confirmed(event: IntegrationEvent) -> None:
    service.tell_confirmed(event.data["orderId"], event.data["customerId"], event.id)


def tell_cancelled(event: IntegrationEvent) -> None:
    service.tell_cancelled(event.data["orderId"], event.data["customerId"], event.data["reason"], event.id)


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
