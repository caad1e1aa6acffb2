"""The REAL payment worker under any order of deliveries, redeliveries, crashes and stale reads:
it charges an order at most once, and a cancelled order keeps no money.

Each delivery is an SQS batch of one through the worker's Lambda handler (receiver,
idempotency, dispatch, batch response) against moto. A delivery may crash after the gateway
answered (the write recording the outcome fails once), and may decide on a stale read (the
payment as it was before the previous delivery, as a read racing another worker sees it);
the store's conditional writes must then refuse, and SQS redelivers whatever failed.
"""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.integration.payment_worker import PaymentWorker, inventory_reserved, order_cancelled, order_placed

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics:UserWarning")

SETTLED_STATES = {"CANCELLED", "REFUNDED", "DECLINED"}
REDELIVERY_ROUNDS = 10


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[str, list[str], list[tuple[str, bool, bool]]]:
    """A token, the messages the saga sends, and the order SQS delivers them in (with redeliveries):
    each delivery as (message, crash after the gateway, decide on a stale read)."""
    token = draw(st.sampled_from(["tok_visa", "tok_declined", "tok_flaky"]))
    sent = ["placed", "reserved"] + (["cancelled"] if draw(st.booleans()) else [])
    deliveries = draw(st.lists(st.tuples(st.sampled_from(sent), st.booleans(), st.booleans()), max_size=10))
    return token, sent, deliveries


class OneOrder:
    """One order's messages, delivered to the real worker with the faults a scenario asks for."""

    def __init__(self, payment: PaymentWorker, token: str) -> None:
        self.payment = payment
        self.order_id = str(uuid.uuid4())
        self.messages = {
            "placed": order_placed(self.order_id, token=token),
            "reserved": inventory_reserved(self.order_id),
            "cancelled": order_cancelled(self.order_id),
        }
        self.store = payment.handler.store
        self.crashes = 0

    def deliver(self, message: str, stale_read: object, crash_after_gateway: bool) -> bool:
        """True if SQS was told the message is done."""
        with self._reading(stale_read), self._crashing(crash_after_gateway):
            return self.payment.deliver(self.messages[message]) == []

    def read(self) -> object:
        return type(self.store).payment(self.store, self.order_id)

    def charges(self) -> list[dict]:
        return [c for c in self.payment.charges() if c["idempotencyKey"]["S"] == f"order-{self.order_id}"]

    def money_kept(self) -> int:
        return len([c for c in self.charges() if c["state"]["S"] == "CAPTURED"])

    @contextmanager
    def _reading(self, stale: object) -> Iterator[None]:
        if stale is _FRESH:
            yield
            return
        self.store.payment = lambda order_id: stale
        try:
            yield
        finally:
            del self.store.payment

    @contextmanager
    def _crashing(self, crash: bool) -> Iterator[None]:
        if not crash:
            yield
            return

        def crash_once(*args: object) -> None:
            self.crashes += 1
            raise ConnectionError("the function died after the gateway answered")

        self.store.record_capture = self.store.record_decline = crash_once
        try:
            yield
        finally:
            del self.store.record_capture, self.store.record_decline


_FRESH = object()


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenarios())
@example(
    (
        "tok_visa",
        ["placed", "reserved", "cancelled"],
        [("placed", False, False), ("reserved", True, False), ("cancelled", False, True)],
    )
)
@example(("tok_flaky", ["placed", "reserved", "cancelled"], [("placed", False, False), ("reserved", False, False)]))
def test_any_delivery_order_charges_at_most_once_and_a_cancelled_order_keeps_no_money(payment, scenario):
    token, sent, deliveries = scenario
    payment.forget_everything()
    order = OneOrder(payment, token)
    handled: set[str] = set()
    before = order.read()
    for message, crash, stale in deliveries:
        now = order.read()
        if order.deliver(message, before if stale else _FRESH, crash):
            handled.add(message)
        before = now
        assert len(order.charges()) <= 1
        if "cancelled" in handled:
            assert order.read().status != "CAPTURED"

    # SQS keeps redelivering whatever has not been handled yet, until all of it is.
    for _ in range(REDELIVERY_ROUNDS):
        for message in sent:
            if message not in handled and order.deliver(message, _FRESH, crash_after_gateway=False):
                handled.add(message)
    assert handled == set(sent)
    final = order.read().status
    charges = order.charges()
    if "cancelled" in sent:
        assert order.money_kept() == 0
        assert final in SETTLED_STATES
    elif token == "tok_declined":
        assert (final, charges) == ("DECLINED", [])
    else:
        assert (final, len(charges)) == ("CAPTURED", 1)
