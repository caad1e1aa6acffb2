"""Inventory's business operations: reserve every line of an order or none, release what was held.

Called by the queue worker (choreography: order.placed, order.cancelled) and by the task handler
(orchestration: the state machine's Reserve step and its compensation), with the same rules and
the same outcome events either way.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import MetricUnit
from saga_events import new_event
from saga_events.services import Cause, Clock, MetricsRecorder, Publisher, utc_now
from saga_events.validation import validate_event

from inventory.domain import (
    OnCancellation,
    Rejected,
    Reserved,
    StockRequest,
    merge_lines,
    on_cancellation,
    outcome_of,
    reserve,
)
from inventory.store import InventoryStore


class InventoryService:
    def __init__(
        self,
        store: InventoryStore,
        publisher: Publisher,
        *,
        source: str,
        logger: Logger,
        metrics: MetricsRecorder,
        clock: Clock = utc_now,
    ) -> None:
        self.store = store
        self.publisher = publisher
        self.source = source
        self._logger = logger
        self._metrics = metrics
        self._clock = clock

    def reserve_stock(self, order_id: str, lines: Iterable[dict[str, Any]], cause: Cause) -> Reserved | Rejected | None:
        """The order's stock held, or the reason it cannot be; None if the order was cancelled first."""
        now = self._clock()
        earlier = self.store.reservation(order_id)
        if earlier is not None:
            # A redelivery or a retry after a failed publish: repeat the decision, don't redo it.
            outcome = outcome_of(earlier)
            if outcome is None:
                self._logger.info("order was cancelled before its reservation; holding nothing")
                return None
        else:
            wanted = merge_lines(StockRequest(line["sku"], line["quantity"]) for line in lines)
            outcome = reserve(wanted, self.store.stock_on_hand([line.sku for line in wanted]))
            # Checked before stock moves: an outcome we could not announce must not hold anything.
            validate_event(self._outcome_event(order_id, outcome, cause, now))
            if isinstance(outcome, Reserved):
                self.store.hold(order_id, outcome.lines, now)
            else:
                self.store.record_rejection(order_id, outcome, now)
        self.publisher.publish([self._outcome_event(order_id, outcome, cause, now)])
        self._metrics.add_metric(
            name="StockReserved" if isinstance(outcome, Reserved) else "ReservationRejected",
            unit=MetricUnit.Count,
            value=1,
        )
        return outcome

    def release_stock(self, order_id: str, cause: Cause) -> tuple[StockRequest, ...]:
        """Whatever the order holds goes back on the shelf (announced); what was released.

        Nothing held yet: a tombstone, so a late reservation holds nothing either."""
        now = self._clock()
        reservation = self.store.reservation(order_id)
        step = on_cancellation(reservation)
        if step is OnCancellation.TOMBSTONE:
            self.store.record_cancellation(order_id, now)
            self._logger.info("order cancelled before any reservation; tombstone recorded")
            return ()
        if step is OnCancellation.NOTHING:
            return ()
        assert reservation is not None
        if step is OnCancellation.RELEASE:
            self.store.release(reservation, now)
        released = new_event(
            "inventory.released",
            {
                "orderId": order_id,
                "lines": [{"sku": line.sku, "quantity": line.quantity} for line in reservation.lines],
                "releasedAt": now.isoformat(),
            },
            source=self.source,
            correlation_id=cause.correlation_id,
            causation_id=cause.id,
        )
        self.publisher.publish([released])
        self._metrics.add_metric(name="StockReleased", unit=MetricUnit.Count, value=1)
        return reservation.lines

    def _outcome_event(self, order_id: str, outcome: Reserved | Rejected, cause: Cause, now: datetime) -> dict:
        if isinstance(outcome, Reserved):
            event_type = "inventory.reserved"
            data = {
                "orderId": order_id,
                "lines": [{"sku": line.sku, "quantity": line.quantity} for line in outcome.lines],
                "reservedAt": now.isoformat(),
            }
        else:
            event_type = "inventory.reservation-rejected"
            data = {
                "orderId": order_id,
                "reason": outcome.reason.value,
                "skus": list(outcome.skus),
                "rejectedAt": now.isoformat(),
            }
        return new_event(
            event_type,
            data,
            source=self.source,
            correlation_id=cause.correlation_id,
            causation_id=cause.id,
        )
