"""Loyalty's worker: payment.captured → award points; payment.refunded → take them back."""

import gc

# Lambda's init phase, to the last lines of this module: everything built here lives as long as the
# sandbox, so the cyclic collector would only scan it again and again (docs/performance.md).
gc.disable()

import os

import boto3
from aws_lambda_powertools import Logger, Metrics
from saga_events import EventPublisher, IntegrationEvent
from saga_events.consumer import EventConsumer

from loyalty.service import LoyaltyService
from loyalty.store import LedgerChanged, LedgerStore

logger = Logger(service="loyalty")
metrics = Metrics(namespace="OrderSaga", service="loyalty")
dynamodb = boto3.client("dynamodb")
ledger = LedgerStore(dynamodb, os.environ["LEDGER_TABLE"])
publisher = EventPublisher(boto3.client("events"), os.environ["EVENT_BUS_NAME"])
service = LoyaltyService(ledger, publisher, source=os.environ["EVENT_SOURCE"], logger=logger, metrics=metrics)


def award_points(captured: IntegrationEvent) -> None:
    data = captured.data
    service.award_points(data["customerId"], data["orderId"], data["amount"]["amount"], captured)


def revoke_points(refunded: IntegrationEvent) -> None:
    service.revoke_points(refunded.data["customerId"], refunded.data["orderId"], refunded)


consume = EventConsumer(
    logger,
    {("payment.captured", 1): award_points, ("payment.refunded", 1): revoke_points},
    idempotency_table=os.environ["IDEMPOTENCY_TABLE"],
    dynamodb_client=dynamodb,
    retry_later=(LedgerChanged,),
)

handle = consume.lambda_handler(metrics)


# Init is over. Frozen, what it built is never scanned again: not by the first request either.
gc.freeze()
gc.enable()
