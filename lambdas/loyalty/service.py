"""Loyalty's business operations: award points for a capture, revoke them on a refund.

Called by the queue worker (choreography: payment.captured, payment.refunded) and by the task
handler (orchestration: the Award points step and its compensation), with the same ledger rules
and the same outcome events either way.
"""

from datetime import datetime

from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import MetricUnit
from saga_events import new_event
from saga_events.services import Cause, Clock, MetricsRecorder, Publisher, utc_now
from saga_events.validation import validate_event

from loyalty.domain import award, revoke
from loyalty.store import LedgerStore


class LoyaltyService:
    def __init__(
        self,
        ledger: LedgerStore,
        publisher: Publisher,
        *,
        source: str,
        logger: Logger,
        metrics: MetricsRecorder,
        clock: Clock = utc_now,
    ) -> None:
        self.ledger = ledger
        self.publisher = publisher
        self.source = source
        self._logger = logger
        self._metrics = metrics
        self._clock = clock

    def award_points(self, customer_id: str, order_id: str, amount_paid: int, cause: Cause) -> int:
        """Credit points for what was paid (announced, again on a repeat); the points, or 0 if the
        payment was refunded first."""
        now = self._clock()
        entry = self.ledger.entry(customer_id, order_id, "AWARD")
        if entry is None:
            if self.ledger.entry(customer_id, order_id, "REVOKE") is not None:
                self._logger.info("payment refunded before its points were awarded; awarding nothing")
                return 0
            entry = award(order_id, amount_paid)
            announcement = self._announcement("loyalty.points-awarded", customer_id, order_id, entry.points, cause, now)
            # Checked before the ledger moves: points we could not announce must not be credited.
            validate_event(announcement)
            self.ledger.add_award(customer_id, entry, now)
            self._metrics.add_metric(name="PointsAwarded", unit=MetricUnit.Count, value=entry.points)
        # Announced again on a repeat: the first announcement may be what failed.
        self.publisher.publish(
            [self._announcement("loyalty.points-awarded", customer_id, order_id, entry.points, cause, now)]
        )
        return entry.points

    def revoke_points(self, customer_id: str, order_id: str, cause: Cause) -> int:
        """Take back what was awarded (announced); the points taken back. Nothing awarded yet: a
        zero revocation, the tombstone that stops a late award."""
        now = self._clock()
        entry = self.ledger.entry(customer_id, order_id, "REVOKE")
        if entry is None:
            awarded = self.ledger.entry(customer_id, order_id, "AWARD")
            entry = revoke(awarded, order_id)
            self.ledger.add_revocation(customer_id, entry, now, awarded=awarded is not None)
            self._metrics.add_metric(name="PointsRevoked", unit=MetricUnit.Count, value=-entry.points)
        if entry.points == 0:
            self._logger.info("no points were awarded for this order; revocation kept as a tombstone")
            return 0
        self.publisher.publish(
            [self._announcement("loyalty.points-revoked", customer_id, order_id, -entry.points, cause, now)]
        )
        return -entry.points

    def _announcement(
        self, event_type: str, customer_id: str, order_id: str, points: int, cause: Cause, now: datetime
    ) -> dict:
        time_field = "awardedAt" if event_type == "loyalty.points-awarded" else "revokedAt"
        data = {"orderId": order_id, "customerId": customer_id, "points": points, time_field: now.isoformat()}
        return new_event(
            event_type, data, source=self.source, correlation_id=cause.correlation_id, causation_id=cause.id
        )
