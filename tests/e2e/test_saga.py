"""The whole choreography: the success path and every compensation, asserted in every context.

"State" is stock, the reservation, the payment and its gateway charge, the shipment, the
customer's loyalty balance, the notifications the customer received, and the order's
status and timeline.
"""

import pytest

from saga_client import SagaTarget
from saga_client.operations import (
    event_log,
    first_of_each,
    get_order,
    place_order,
    reservation,
    seed_stock,
    stock_level,
)
from saga_client.state import NotificationInbox, SagaState, gateway_key, payment, shipment
from saga_client.target import eventually
from tests.conftest import RunningSystems, both_styles
from tests.e2e.orders import an_order, settled_order

# One worker runs these together, on the one running system they share (./run test: xdist loadgroup);
# the orchestrated style's run on another worker, on a running system of their own.
pytestmark = pytest.mark.xdist_group("running-system")


@pytest.fixture(scope="session", params=both_styles())
def saga(request: pytest.FixtureRequest, running_systems: RunningSystems) -> SagaTarget:
    """Every scenario here, against each saga style: the same assertions on every context's state."""
    target = running_systems.target(request.param)
    if target.saga_style != request.param:
        pytest.skip(f"the deployed stack runs the {target.saga_style} saga, not {request.param}")
    return target


@pytest.fixture(scope="session")
def inbox(saga: SagaTarget, running_systems: RunningSystems) -> NotificationInbox:
    return running_systems.inbox(saga.saga_style)


def ledger(state):
    """The customer's loyalty entries as (kind, points), entry by entry: no net balance hides a double count."""
    return [(kind, points) for _, kind, points, _ in state.loyalty]


def timeline_with(saga, order_id, expected, timeout):
    """Wait until the order's timeline holds every expected event type (compensations are asynchronous)."""

    def complete():
        order = get_order(saga, order_id).body
        types = [entry["type"] for entry in order["timeline"]]
        return order if set(expected) <= set(types) else None

    complete.__name__ = f"timeline of {order_id} to hold {sorted(expected)}"
    return eventually(complete, timeout=timeout)


def notified(inbox, order_id, kind, timeout):
    def arrived():
        messages = inbox.messages_for(order_id)
        return messages if any(m["kind"] == kind for m in messages) else None

    arrived.__name__ = f"a {kind} notification for {order_id}"
    return eventually(arrived, timeout=timeout)


def test_happy_path_confirms_and_every_context_keeps_its_part(saga, sku, inbox, patience):
    mug = sku("mug")
    seed_stock(saga, {mug: 5})
    customer = f"customer-{mug.lower()}"

    order_id = place_order(saga, an_order((mug, 2)), customer=customer).body["orderId"]

    settled_order(saga, order_id, {"CONFIRMED"}, patience)
    timeline_with(
        saga,
        order_id,
        ["order.placed", "inventory.reserved", "payment.captured", "shipping.scheduled", "loyalty.points-awarded"],
        patience,
    )
    [message] = notified(inbox, order_id, "order.confirmed", patience)
    state = SagaState.read(saga, order_id)
    assert state.order["status"] == "CONFIRMED"
    assert stock_level(saga, mug) == 3
    assert state.reservation["status"] == "RESERVED"
    assert state.payment["status"] == "CAPTURED"
    assert state.charges == ("CAPTURED",)
    assert state.shipment["status"] == "SCHEDULED"
    assert ledger(state) == [("AWARD", 25)]  # two mugs at 12.50: one point per whole euro
    # The order's customer is who signed in to place it, as their token's subject says.
    assert state.order["customerId"] == message["customerId"] == saga.customer_id(customer)


@pytest.mark.parametrize(
    ("problem", "reason"),
    [("out of stock", "OUT_OF_STOCK"), ("unknown sku", "UNKNOWN_SKU")],
)
def test_a_rejected_reservation_cancels_and_nothing_is_held_anywhere(saga, sku, inbox, patience, problem, reason):
    mug = sku("mug")
    seed_stock(saga, {mug: 1})
    line = (mug, 2) if problem == "out of stock" else (sku("ghost"), 1)

    order_id = place_order(saga, an_order(line)).body["orderId"]

    settled_order(saga, order_id, {"CANCELLED"}, patience)
    notified(inbox, order_id, "order.cancelled", patience)
    state = SagaState.read(saga, order_id)
    assert state.order["cancellationReason"] == reason
    assert stock_level(saga, mug) == 1
    assert state.reservation["status"] == "REJECTED"
    assert state.payment is None or state.payment["status"] in {"INTENT", "CANCELLED"}
    assert state.charges == ()
    assert state.shipment is None or state.shipment["status"] in {"AWAITING_PAYMENT", "CANCELLED"}
    assert ledger(state) == []


def announced_once(saga: SagaTarget, order_id: str, types: list[str]) -> None:
    """Each compensation is one fact with one event id, whoever ran it (in orchestration the state
    machine's Catch, with the participants hearing order.cancelled too)."""
    events = first_of_each(event_log(saga, order_id))
    assert {t: sum(e["type"] == t for e in events) for t in types} == dict.fromkeys(types, 1)


def test_a_declined_payment_releases_the_stock(saga, sku, inbox, patience):
    mug = sku("mug")
    seed_stock(saga, {mug: 5})

    order_id = place_order(saga, an_order((mug, 2), token="tok_declined")).body["orderId"]

    settled_order(saga, order_id, {"CANCELLED"}, patience)
    timeline_with(saga, order_id, ["payment.declined", "order.cancelled", "inventory.released"], patience)
    notified(inbox, order_id, "order.cancelled", patience)
    state = SagaState.read(saga, order_id)
    assert state.order["cancellationReason"] == "PAYMENT_DECLINED"
    assert stock_level(saga, mug) == 5
    assert state.reservation["status"] == "RELEASED"
    assert state.payment["status"] == "DECLINED"
    announced_once(saga, order_id, ["order.cancelled", "inventory.released"])
    assert state.charges == ()
    assert state.shipment["status"] == "CANCELLED"
    assert ledger(state) == []


def points_until_shipping_failed(saga: SagaTarget, points: int) -> list[tuple[str, int]]:
    """The ledger of an order whose shipment could not be booked. Choreographed, loyalty awards on
    payment.captured, beside shipping, and revokes on payment.refunded; orchestrated, the points
    come after the shipment is booked (ReserveStock → ChargePayment → BookShipment → AwardPoints),
    so none were awarded and payment.refunded leaves loyalty's zero revocation: the tombstone that
    stops a late award."""
    if saga.saga_style == "choreography":
        return [("AWARD", points), ("REVOKE", -points)]
    return [("REVOKE", 0)]


def test_an_unserved_country_refunds_releases_and_revokes_points(saga, sku, inbox, patience):
    mug = sku("mug")
    seed_stock(saga, {mug: 5})
    order = an_order((mug, 2), country="JP")

    order_id = place_order(saga, order).body["orderId"]

    settled_order(saga, order_id, {"CANCELLED"}, patience)
    timeline_with(
        saga,
        order_id,
        ["shipping.failed", "order.cancelled", "inventory.released", "payment.refunded"]
        + (["loyalty.points-revoked"] if saga.saga_style == "choreography" else []),
        patience,
    )
    notified(inbox, order_id, "order.cancelled", patience)
    state = SagaState.read(saga, order_id)
    assert state.order["cancellationReason"] == "SHIPPING_UNAVAILABLE"
    assert stock_level(saga, mug) == 5
    announced_once(saga, order_id, ["order.cancelled", "inventory.released", "payment.refunded"])
    assert state.reservation["status"] == "RELEASED"
    assert state.payment["status"] == "REFUNDED"
    assert state.charges == ("REFUNDED",)
    assert state.shipment["status"] == "FAILED"
    assert ledger(state) == points_until_shipping_failed(saga, 25)


def held_back(saga: SagaTarget, *, choreographed: str, orchestrated: str):
    """Hold a step of the saga back while the customer cancels: a choreographed context's worker
    stops taking messages (they wait in its queue); an orchestrated context's task is throttled
    (the state machine retries it). The styles order their steps differently, so each names the
    context that stands where the scenario needs the saga to wait."""
    if saga.saga_style == "orchestration":
        return saga.throttled(orchestrated)
    return saga.paused(choreographed)


def test_a_customer_cancel_before_payment_charges_nothing(saga, sku, inbox, patience):
    mug = sku("mug")
    seed_stock(saga, {mug: 5})

    # Inventory held back, so payment cannot be asked to charge before the cancellation reaches it.
    with held_back(saga, choreographed="inventory", orchestrated="inventory"):
        order_id = place_order(saga, an_order((mug, 2))).body["orderId"]
        cancelled = saga.http("POST", f"/orders/{order_id}/cancel")
        assert cancelled.status == 202, cancelled.body
        assert cancelled.body["status"] == "CANCELLED"
        eventually(lambda: (payment(saga, order_id) or {}).get("status") == "CANCELLED" or None, timeout=patience)

    timeline_with(saga, order_id, ["order.cancelled"], patience)
    notified(inbox, order_id, "order.cancelled", patience)
    # Whichever of order.placed and order.cancelled inventory saw first, nothing stays held. (Waiting
    # for the stock alone would pass at once: nothing is taken until inventory has seen order.placed.)
    eventually(
        lambda: (reservation(saga, order_id) or {}).get("status") in {"CANCELLED", "RELEASED"} or None,
        timeout=patience,
    )
    # Shipping hears of the cancellation on its own queue, as late as it likes.
    eventually(lambda: (shipment(saga, order_id) or {}).get("status") == "CANCELLED" or None, timeout=patience)
    assert stock_level(saga, mug) == 5
    state = SagaState.read(saga, order_id)
    assert state.order["cancellationReason"] == "CUSTOMER_REQUEST"
    assert state.reservation["status"] in {"CANCELLED", "RELEASED"}
    assert state.payment["status"] == "CANCELLED"
    assert state.charges == ()
    assert state.shipment["status"] == "CANCELLED"
    assert ledger(state) == []


def test_a_customer_cancel_after_capture_refunds_and_revokes(saga, sku, inbox, patience):
    mug = sku("mug")
    seed_stock(saga, {mug: 5})
    order = an_order((mug, 2))

    # Hold shipping back, as a slow warehouse would, so the order stays paid but unconfirmed. The
    # orchestrated saga books the shipment before it awards the points: there the confirmation waits.
    with held_back(saga, choreographed="shipping", orchestrated="order"):
        order_id = place_order(saga, order).body["orderId"]
        settled_order(saga, order_id, {"PAID"}, patience)
        timeline_with(saga, order_id, ["loyalty.points-awarded"], patience)
        cancelled = saga.http("POST", f"/orders/{order_id}/cancel")
        assert cancelled.status == 202, cancelled.body

    timeline_with(
        saga,
        order_id,
        ["order.cancelled", "inventory.released", "payment.refunded", "loyalty.points-revoked"],
        patience,
    )
    notified(inbox, order_id, "order.cancelled", patience)
    # Shipping resumes with payment.captured and order.cancelled both waiting: whichever it takes
    # first, the shipment must end cancelled (booked, then called off, or never booked).
    eventually(lambda: (shipment(saga, order_id) or {}).get("status") == "CANCELLED" or None, timeout=patience)
    state = SagaState.read(saga, order_id)
    assert state.order["status"] == "CANCELLED"
    assert stock_level(saga, mug) == 5
    assert state.payment["status"] == "REFUNDED"
    assert state.charges == ("REFUNDED",)
    assert state.shipment["status"] == "CANCELLED"
    assert ledger(state) == [("AWARD", 25), ("REVOKE", -25)]


def test_a_confirmed_order_cannot_be_cancelled(saga, sku, patience):
    mug = sku("mug")
    seed_stock(saga, {mug: 5})
    order_id = place_order(saga, an_order((mug, 1))).body["orderId"]
    settled_order(saga, order_id, {"CONFIRMED"}, patience)

    refused = saga.http("POST", f"/orders/{order_id}/cancel")

    assert refused.status == 409
    assert "CONFIRMED" in refused.body["message"]
    assert get_order(saga, order_id).body["status"] == "CONFIRMED"


def test_a_transient_gateway_failure_is_retried_to_a_single_charge(saga, sku, inbox, patience):
    mug = sku("mug")
    seed_stock(saga, {mug: 5})

    order_id = place_order(saga, an_order((mug, 1), token="tok_flaky")).body["orderId"]

    settled_order(saga, order_id, {"CONFIRMED"}, patience)
    # The provider's record of the order's key: an attempt failed, and a later one (the redelivered
    # inventory.reserved: payment asks the gateway once per delivery) settled it.
    attempts = gateway_key(saga, order_id)
    assert attempts["state"] == "CAPTURED"
    assert attempts["failedAt"] < attempts["settledAt"]
    state = SagaState.read(saga, order_id)
    assert state.payment["status"] == "CAPTURED"
    assert state.charges == ("CAPTURED",)  # the failed first attempt took nothing
    captured = [e for e in get_order(saga, order_id).body["timeline"] if e["type"] == "payment.captured"]
    assert len(captured) == 1
    assert ledger(state) == [("AWARD", 12)]
