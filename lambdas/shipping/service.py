"""Shipping's business operations: note the destination, book a shipment, call it off.

Called by the queue worker (choreography) and by the task handler (orchestration), with the same
rules and the same outcome events either way. The countries served are the stack's, handed in.
"""

from collections.abc import Collection
from datetime import datetime

from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import MetricUnit
from saga_events import IntegrationEvent, new_event
from saga_events.sealing import FieldOpener
from saga_events.services import Cause, Clock, MetricsRecorder, Publisher, utc_now
from saga_events.validation import validate_event

from shipping.domain import NotServed, OnCancellation, Scheduled, ShipmentStatus, on_cancellation, schedule
from shipping.store import ShipmentStore


class ShippingService:
    def __init__(
        self,
        store: ShipmentStore,
        publisher: Publisher,
        opener: FieldOpener,
        *,
        served_countries: Collection[str],
        source: str,
        logger: Logger,
        metrics: MetricsRecorder,
        clock: Clock = utc_now,
    ) -> None:
        self.store = store
        self.publisher = publisher
        # The shipping address arrives encrypted for shipping's key alone.
        self.opener = opener
        self.served_countries = frozenset(served_countries)
        self.source = source
        self._logger = logger
        self._metrics = metrics
        self._clock = clock

    def note_destination(self, placed: IntegrationEvent) -> None:
        """Remember where order.placed v3 ships to; a repeat keeps what the first one wrote."""
        # The street lines are for the carrier's label; the simulated booking needs only the country.
        address = self.opener.open(placed, "encryptedShippingAddress")
        self.store.note_destination(placed.data["orderId"], address["country"], self._clock())

    def schedule_shipment(self, order_id: str, cause: Cause) -> Scheduled | NotServed | None:
        """Book the order's shipment, or say its country is not served; None if cancelled first.

        DestinationNotYetKnown propagates: order.placed is still on its way."""
        now = self._clock()
        shipment = self.store.get(order_id)
        decision = schedule(shipment, self.served_countries)
        if decision is None:
            self._logger.info("order cancelled before shipping; booking nothing")
            return None
        assert shipment is not None
        event = (
            self._scheduled(order_id, cause, decision, now)
            if isinstance(decision, Scheduled)
            else self._failed(order_id, cause, decision, now)
        )
        # Checked before the record moves: a booking we could not announce must not be made.
        validate_event(event)
        if isinstance(decision, Scheduled):
            if shipment.status is not ShipmentStatus.SCHEDULED:
                self.store.book(order_id, decision.shipment_id, now)
            self._metrics.add_metric(name="ShipmentsScheduled", unit=MetricUnit.Count, value=1)
        else:
            if shipment.status is not ShipmentStatus.FAILED:
                self.store.fail(order_id, now)
            self._metrics.add_metric(name="ShipmentsFailed", unit=MetricUnit.Count, value=1)
        self.publisher.publish([event])
        return decision

    def cancel_shipment(self, order_id: str, cause: Cause) -> str | None:
        """Call off the order's shipment (announced); its id, or None if none was booked.

        Nothing booked yet: a tombstone, so a late booking books nothing."""
        now = self._clock()
        shipment = self.store.get(order_id)
        step = on_cancellation(shipment)
        if step is OnCancellation.TOMBSTONE:
            self.store.cancel_before_booking(shipment, order_id, now)
            return None
        if step is OnCancellation.NOTHING:
            return None
        assert shipment is not None and shipment.shipment_id is not None
        if step is OnCancellation.CALL_OFF:
            self.store.call_off(order_id, now)
        self.publisher.publish(
            [
                new_event(
                    "shipping.cancelled",
                    {"orderId": order_id, "shipmentId": shipment.shipment_id, "cancelledAt": now.isoformat()},
                    source=self.source,
                    correlation_id=cause.correlation_id,
                    causation_id=cause.id,
                )
            ]
        )
        self._metrics.add_metric(name="ShipmentsCancelled", unit=MetricUnit.Count, value=1)
        return shipment.shipment_id

    def _scheduled(self, order_id: str, cause: Cause, decision: Scheduled, now: datetime) -> dict:
        return new_event(
            "shipping.scheduled",
            {
                "orderId": order_id,
                "shipmentId": decision.shipment_id,
                "country": decision.country,
                "scheduledAt": now.isoformat(),
            },
            source=self.source,
            correlation_id=cause.correlation_id,
            causation_id=cause.id,
        )

    def _failed(self, order_id: str, cause: Cause, decision: NotServed, now: datetime) -> dict:
        return new_event(
            "shipping.failed",
            {
                "orderId": order_id,
                "reason": "COUNTRY_NOT_SERVED",
                "country": decision.country,
                "failedAt": now.isoformat(),
            },
            source=self.source,
            correlation_id=cause.correlation_id,
            causation_id=cause.id,
        )
