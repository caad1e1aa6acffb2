"""The order's service on its own: the orders table on in-process moto (its outbox read back), the
clock handed in; no handler module."""

import json
from datetime import timedelta

import pytest
from order.domain import CancellationReason, Money, OrderLine, OrderStatus, ShippingAddress, place_order
from order.service import OrderService, UnknownOrder
from order.store import OrderStore
from saga_events import IntegrationEvent, new_event

from tests.integration.service_kit import LOGGER, CountedMetrics, StoppedClock


@pytest.fixture
def clock() -> StoppedClock:
    return StoppedClock()


@pytest.fixture
def orders(cloud, clock, order_id) -> OrderService:
    cloud.create_table("orders", "pk", "sk")
    store = OrderStore(cloud.dynamodb, "orders")
    order = place_order(
        order_id,
        "cust-42",
        (OrderLine("MUG", 1, Money(1250, "EUR")),),
        "tok_visa",
        ShippingAddress("Ada", "1 Main St", "Berlin", "10115", "DE"),
        clock.now,
        time_allowed=timedelta(minutes=15),
    )
    store.add(order, [], clock.now)
    return OrderService(store, source="saga.order", logger=LOGGER, metrics=CountedMetrics(), clock=clock)


def outbox(cloud) -> list[dict]:
    return [
        json.loads(item["event"]["S"]) for item in cloud.items("orders") if item.get("kind", {}).get("S") == "outbox"
    ]


def test_confirming_announces_order_confirmed_once(cloud, orders, clock, order_id):
    clock.advance(5)

    assert orders.confirm(order_id, "step-confirm").status is OrderStatus.CONFIRMED
    assert orders.confirm(order_id, "step-confirm").status is OrderStatus.CONFIRMED

    [confirmed] = outbox(cloud)
    assert (confirmed["type"], confirmed["causationid"], confirmed["data"]["confirmedAt"]) == (
        "order.confirmed",
        "step-confirm",
        clock.now.isoformat(),
    )


def test_cancelling_keeps_the_reason_and_a_confirmed_order_is_not_cancelled(cloud, orders, order_id):
    order = orders.order(order_id)

    cancelled = orders.cancel(order, CancellationReason.PAYMENT_DECLINED, "failure", "payment.declined: CARD_DECLINED")

    assert cancelled.status is OrderStatus.CANCELLED
    assert orders.cancel(cancelled, CancellationReason.TIMEOUT, "again", "late") is None
    [announced] = outbox(cloud)
    assert (announced["type"], announced["data"]["reason"]) == ("order.cancelled", "PAYMENT_DECLINED")
    assert orders.confirm(order_id, "late-confirm").status is OrderStatus.CANCELLED
    assert len(outbox(cloud)) == 1


def test_an_event_for_an_unknown_order_is_refused(orders):
    stray = new_event(
        "payment.refunded", {"orderId": "nobody"}, source="saga.payment", correlation_id="x", causation_id="y"
    )
    with pytest.raises(UnknownOrder):
        orders.record_received(IntegrationEvent.from_cloudevent(stray))
