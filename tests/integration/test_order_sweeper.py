"""The sweeper against moto: the sparse index finds exactly the open orders past their deadline, and
a sweep resolves each once, through the outbox, however often it runs."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from order.domain import CancellationReason as Reason
from order.domain import (
    Money,
    OrderLine,
    ShippingAddress,
    cancel,
    payment_captured,
    place_order,
    shipment_scheduled,
    stock_reserved,
)

from tests.harness.cloud import mocked_cloud
from tests.harness.declared_stack import declared_stack
from tests.harness.lambda_events import LambdaContextStub

PLACED = datetime(2026, 1, 1, tzinfo=UTC)
ALLOWED = timedelta(minutes=15)
DUE = PLACED + ALLOWED


@pytest.fixture
def sweeper(monkeypatch):
    stack = declared_stack()
    with mocked_cloud(monkeypatch) as cloud:
        module = cloud.deploy(stack.function("order.sweeper.handle"), stack, monkeypatch)
        yield module


def an_order(placed: datetime = PLACED, order_id: str | None = None):
    return place_order(
        order_id or str(uuid.uuid4()),
        "cust-42",
        (OrderLine("MUG", 1, Money(1250, "EUR")),),
        "tok_visa",
        ShippingAddress("Ada", "1 Main St", "Berlin", "10115", "DE"),
        placed,
        time_allowed=ALLOWED,
    )


def stored(sweeper, order):
    sweeper.store.add(order, [], order.placed_at)
    return order


def moved(sweeper, order, *rules):
    for rule in rules:
        order = rule(order)
        sweeper.store.save(order, [], order.placed_at)
    return order


def outbox(sweeper, order_id):
    return [e for e in sweeper.store.timeline(order_id) if e["type"] != "order.placed"]


def sweep(sweeper, execution_id="exec-1"):
    return sweeper.handle({"executionId": execution_id, "scheduledTime": "2026-12-03T08:00:00Z"}, LambdaContextStub())


def test_the_index_holds_open_orders_past_their_deadline_and_nothing_else(sweeper):
    overdue = [stored(sweeper, an_order()) for _ in range(6)]
    not_yet = stored(sweeper, an_order(placed=PLACED + timedelta(hours=1)))
    confirmed = moved(sweeper, stored(sweeper, an_order()), stock_reserved, payment_captured, shipment_scheduled)
    cancelled = moved(sweeper, stored(sweeper, an_order()), lambda o: cancel(o, Reason.CUSTOMER_REQUEST))

    found = sweeper.store.overdue(DUE, limit=100)

    assert sorted(found) == sorted(o.order_id for o in overdue)
    assert not {not_yet.order_id, confirmed.order_id, cancelled.order_id} & set(found)
    assert len(sweeper.store.overdue(DUE, limit=4)) == 4  # a run takes at most its share
    assert sweeper.store.overdue(PLACED, limit=100) == []


def test_an_overdue_pending_order_is_cancelled_timeout_once_however_often_the_sweep_runs(sweeper):
    order, other = stored(sweeper, an_order()), stored(sweeper, an_order())

    assert sweep(sweeper) == {"resolved": {"CANCEL": 2}}
    assert sweep(sweeper, "exec-2") == {"resolved": {}}
    # One run, two orders: two events, each its own id (consumers drop a repeated id).
    [other_cancelled] = outbox(sweeper, other.order_id)

    after = sweeper.store.get(order.order_id)
    assert (after.status.value, after.cancellation_reason) == ("CANCELLED", Reason.TIMEOUT)
    [cancelled] = outbox(sweeper, order.order_id)
    assert (cancelled["type"], cancelled["data"]["reason"], cancelled["causationid"]) == (
        "order.cancelled",
        "TIMEOUT",
        "exec-1",
    )
    assert other_cancelled["id"] != cancelled["id"]
    assert sweeper.store.overdue(datetime.now(UTC), limit=100) == []


def test_an_overdue_order_holding_stock_asks_payment_once_then_cancels_after_the_grace(sweeper, monkeypatch):
    order = moved(sweeper, stored(sweeper, an_order()), stock_reserved)

    assert sweep(sweeper) == {"resolved": {"ASK_PAYMENT": 1}}
    assert sweep(sweeper, "exec-2") == {"resolved": {"WAIT_FOR_PAYMENT": 1}}

    [asked] = outbox(sweeper, order.order_id)
    assert asked["type"] == "order.deadline-passed"
    assert (asked["data"]["orderId"], asked["data"]["customerId"]) == (order.order_id, "cust-42")
    assert datetime.fromisoformat(asked["data"]["deadline"]) == DUE
    assert sweeper.store.get(order.order_id).status.value == "STOCK_RESERVED"

    monkeypatch.setattr(sweeper, "GRACE", timedelta(0))
    assert sweep(sweeper, "exec-3") == {"resolved": {"CANCEL": 1}}
    assert [e["type"] for e in outbox(sweeper, order.order_id)] == ["order.deadline-passed", "order.cancelled"]
    assert sweeper.store.get(order.order_id).cancellation_reason is Reason.TIMEOUT


def test_an_order_that_moves_while_swept_is_left_to_the_next_run(sweeper, monkeypatch):
    order = stored(sweeper, an_order())
    real_get = sweeper.store.get

    def outrun(order_id):
        # A customer cancels between the sweep's read and its write.
        seen = real_get(order_id)
        sweeper.store.save(cancel(seen, Reason.CUSTOMER_REQUEST), [], seen.placed_at)
        return seen

    monkeypatch.setattr(sweeper.store, "get", outrun)
    assert sweep(sweeper) == {"resolved": {}}
    monkeypatch.undo()
    assert sweeper.store.get(order.order_id).cancellation_reason is Reason.CUSTOMER_REQUEST
    assert outbox(sweeper, order.order_id) == []
    assert sweep(sweeper) == {"resolved": {}}
