"""The order's own business operations once it is placed: note what happened to it on its timeline,
move it on, confirm it, cancel it. Every change is a conditional write carrying its outbox event
(order.confirmed, order.cancelled) in the same transaction, so a repeat changes nothing.

Called by the queue worker (choreography: participants' outcome events) and by the task handler
(orchestration: the state machine's Confirm step and its cancellation after a failure).
"""

from collections.abc import Callable

from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import MetricUnit
from saga_events import IntegrationEvent
from saga_events.services import Clock, MetricsRecorder, utc_now

from order.domain import CancellationReason, CannotCancel, Order, OrderStatus, cancel, shipment_scheduled
from order.events import order_cancelled, order_confirmed
from order.store import OrderStore

Rule = Callable[[Order], Order | None]


class UnknownOrder(LookupError):
    """An outcome for an order we do not have: retried, then dead-lettered for a human."""


class OrderService:
    def __init__(
        self,
        store: OrderStore,
        *,
        source: str,
        logger: Logger,
        metrics: MetricsRecorder,
        clock: Clock = utc_now,
    ) -> None:
        self.store = store
        self.source = source
        self._logger = logger
        self._metrics = metrics
        self._clock = clock

    def order(self, order_id: str) -> Order:
        order = self.store.get(order_id)
        if order is None:
            raise UnknownOrder(f"no order {order_id}")
        return order

    def placed_event_id(self, order_id: str) -> str:
        """The id of the order.placed this context published for the order (its timeline keeps it)."""
        placed = [event for event in self.store.timeline(order_id) if event["type"] == "order.placed"]
        if not placed:
            raise UnknownOrder(f"no order.placed on the timeline of order {order_id}")
        return str(placed[-1]["id"])

    def record_received(self, event: IntegrationEvent) -> Order:
        """The event on the order's timeline (a repeat rewrites the same item); the order as it is."""
        order = self.store.get(event.data["orderId"])
        if order is None:
            raise UnknownOrder(f"{event.type} {event.id} names unknown order {event.data['orderId']}")
        self.store.record_received(order.order_id, event.as_cloudevent())
        return order

    def move_on(self, order: Order, rule: Rule, cause_id: str) -> Order | None:
        """Apply a progress rule; the order as changed, or None if the rule changes nothing."""
        changed = rule(order)
        if changed is None:
            return None
        now = self._clock()
        confirmed = changed.status is OrderStatus.CONFIRMED
        events = [order_confirmed(changed, cause_id, now, source=self.source)] if confirmed else []
        self.store.save(changed, events, now)
        if confirmed:
            self._metrics.add_metric(name="OrdersConfirmed", unit=MetricUnit.Count, value=1)
        self._logger.info("order moved on", extra={"status": changed.status.value})
        return changed

    def confirm(self, order_id: str, cause_id: str) -> Order:
        """Stock held, paid, shipment booked: the order confirmed (or as it already was)."""
        order = self.order(order_id)
        return self.move_on(order, shipment_scheduled, cause_id) or order

    def cancel(self, order: Order, reason: CancellationReason, cause_id: str, detail: str) -> Order | None:
        """Cancel with the reason (announced through the outbox); None if it was cancelled already,
        or confirmed (too late: nothing to cancel)."""
        try:
            cancelled = cancel(order, reason)
        except CannotCancel:
            self._logger.warning("failure reported for an order already confirmed; nothing to cancel")
            return None
        if cancelled is None:
            return None
        now = self._clock()
        self.store.save(cancelled, [order_cancelled(cancelled, cause_id, detail, now, source=self.source)], now)
        self._metrics.add_metric(name="OrdersCancelled", unit=MetricUnit.Count, value=1)
        self._logger.info("order cancelled", extra={"reason": reason.value})
        return cancelled
