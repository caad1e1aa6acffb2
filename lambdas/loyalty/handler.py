"""Loyalty's worker: payment.captured → award points; payment.refunded → take them back."""

import gc

# Lambda's init phase, to the last lines of this module: everything built here lives as long as the
# sandbox, so the cyclic collector would only scan it again and again (docs/performance.md).
gc.disable()

import os
from datetime import UTC, datetime

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from saga_events import EventPublisher, IntegrationEvent, new_event
from saga_events.consumer import EventConsumer, idempotent_by_its_writes
from saga_events.validation import validate_event

from loyalty.domain import award, revoke
from loyalty.store import LedgerChanged, LedgerStore

SOURCE = os.environ["EVENT_SOURCE"]

logger = Logger(service="loyalty")
metrics = Metrics(namespace="OrderSaga", service="loyalty")
dynamodb = boto3.client("dynamodb")
ledger = LedgerStore(dynamodb, os.environ["LEDGER_TABLE"])
publisher = EventPublisher(boto3.client("events"), os.environ["EVENT_BUS_NAME"])


# No idempotency record: the award is written on condition that the order has neither an award nor a
# revocation yet (a twin running at once loses and is retried), and once it is announced the entry says
# so. A repeat then does nothing; a retry after a failed publish finds it unannounced and announces it.
@idempotent_by_its_writes
def award_points(captured: IntegrationEvent) -> None:
    customer_id, order_id = captured.data["customerId"], captured.data["orderId"]
    now = datetime.now(UTC)
    entry = ledger.entry(customer_id, order_id, "AWARD")
    if entry is not None and entry.announced:
        logger.info("points already awarded and announced; nothing to do")
        return
    if entry is None:
        if ledger.entry(customer_id, order_id, "REVOKE") is not None:
            logger.info("payment refunded before its points were awarded; awarding nothing")
            return
        entry = award(order_id, captured.data["amount"]["amount"])
        # Checked before the ledger moves: points we could not announce must not be credited.
        validate_event(_announcement("loyalty.points-awarded", captured, entry.points, "awardedAt", now))
        ledger.add_award(customer_id, entry, now)
        metrics.add_metric(name="PointsAwarded", unit=MetricUnit.Count, value=entry.points)
    # Announced again on a retry: the first announcement may be what failed.
    _announce("loyalty.points-awarded", captured, entry.points, "awardedAt", now)
    ledger.mark_announced(customer_id, order_id, "AWARD")


def revoke_points(refunded: IntegrationEvent) -> None:
    customer_id, order_id = refunded.data["customerId"], refunded.data["orderId"]
    now = datetime.now(UTC)
    entry = ledger.entry(customer_id, order_id, "REVOKE")
    if entry is None:
        awarded = ledger.entry(customer_id, order_id, "AWARD")
        entry = revoke(awarded, order_id)
        ledger.add_revocation(customer_id, entry, now, awarded=awarded is not None)
        metrics.add_metric(name="PointsRevoked", unit=MetricUnit.Count, value=-entry.points)
    if entry.points == 0:
        logger.info("no points were awarded for this order; revocation kept as a tombstone")
        return
    _announce("loyalty.points-revoked", refunded, -entry.points, "revokedAt", now)


def _announce(event_type: str, cause: IntegrationEvent, points: int, time_field: str, now: datetime) -> None:
    publisher.publish([_announcement(event_type, cause, points, time_field, now)])


def _announcement(event_type: str, cause: IntegrationEvent, points: int, time_field: str, now: datetime) -> dict:
    data = {
        "orderId": cause.data["orderId"],
        "customerId": cause.data["customerId"],
        "points": points,
        time_field: now.isoformat(),
    }
    return new_event(event_type, data, source=SOURCE, correlation_id=cause.correlation_id, causation_id=cause.id)


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
