from dataclasses import dataclass, field

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from payment.domain import (
    CancellationStep,
    Captured,
    ChargeInFlight,
    ChargeStep,
    Declined,
    DeclineReason,
    IllegalTransition,
    IntentNotYetKnown,
    Money,
    Payment,
    PaymentStatus,
    advance,
    can_move,
    cancellation_step,
    charge_step,
    idempotency_key,
    masked,
    outcome_of,
    require_intent,
    sources_of,
)

S = PaymentStatus


def an_intent(token="tok_visa"):
    return Payment("o1", S.INTENT, "c1", Money(2900, "EUR"), token)


def test_only_an_intent_or_a_tombstone_can_be_the_first_record():
    assert sources_of(S.INTENT) == {None}
    assert sources_of(S.CANCELLED) == {None, S.INTENT}


def test_a_charge_settles_only_from_charging_and_only_a_capture_is_refunded():
    assert sources_of(S.CHARGING) == {S.INTENT}
    assert sources_of(S.CAPTURED) == sources_of(S.DECLINED) == {S.CHARGING}
    assert sources_of(S.REFUNDED) == {S.CAPTURED}


@pytest.mark.parametrize("settled", [S.CHARGING, S.CAPTURED, S.DECLINED, S.REFUNDED, S.CANCELLED])
def test_nothing_that_may_have_charged_can_become_a_tombstone(settled):
    assert not can_move(settled, S.CANCELLED)


def test_advance_follows_the_arrows_and_refuses_the_rest():
    charging = advance(an_intent(), S.CHARGING)
    captured = advance(charging, S.CAPTURED, charge_id="ch_1")
    assert captured.status is S.CAPTURED and captured.charge_id == "ch_1"
    with pytest.raises(IllegalTransition):
        advance(captured, S.CHARGING)
    with pytest.raises(IllegalTransition):
        advance(an_intent(), S.CAPTURED)


def test_reserved_before_placed_must_wait_for_the_intent():
    with pytest.raises(IntentNotYetKnown):
        require_intent(None)


@pytest.mark.parametrize(
    ("status", "step"),
    [
        (S.INTENT, ChargeStep.CHARGE),
        (S.CHARGING, ChargeStep.RESUME_CHARGE),
        (S.CAPTURED, ChargeStep.ANNOUNCE),
        (S.DECLINED, ChargeStep.ANNOUNCE),
        (S.REFUNDED, ChargeStep.NOTHING),
        (S.CANCELLED, ChargeStep.NOTHING),
    ],
)
def test_what_a_reservation_means_in_each_state(status, step):
    assert charge_step(Payment("o1", status)) is step


@pytest.mark.parametrize(
    ("status", "step"),
    [
        (S.INTENT, CancellationStep.CANCEL_INTENT),
        (S.CAPTURED, CancellationStep.REFUND),
        (S.REFUNDED, CancellationStep.ANNOUNCE_REFUND),
        (S.DECLINED, CancellationStep.NOTHING),
        (S.CANCELLED, CancellationStep.NOTHING),
    ],
)
def test_what_a_cancellation_means_in_each_state(status, step):
    assert cancellation_step(Payment("o1", status)) is step


def test_a_cancellation_waits_while_a_charge_is_in_flight():
    with pytest.raises(ChargeInFlight):
        cancellation_step(Payment("o1", S.CHARGING))


def test_a_settled_charge_repeats_its_outcome():
    assert outcome_of(Payment("o1", S.CAPTURED, charge_id="ch_1")) == Captured("ch_1")
    assert outcome_of(Payment("o1", S.DECLINED, decline_reason=DeclineReason.CARD_DECLINED)) == Declined()
    with pytest.raises(IllegalTransition):
        outcome_of(an_intent())


def test_a_tombstone_has_nothing_to_charge():
    tombstone = Payment("o1", S.CANCELLED, "c1")
    for what in ("amount", "token", "captured_charge"):
        with pytest.raises(IllegalTransition):
            getattr(tombstone, what)


def test_the_idempotency_key_is_the_orders():
    assert idempotency_key("o1") == idempotency_key("o1") != idempotency_key("o2")


@given(st.from_regex(r"^tok_[A-Za-z0-9_]{1,64}$", fullmatch=True))
def test_a_masked_token_shows_no_four_characters_of_the_token_in_a_row(token):
    shown = masked(token)
    assert [token[i : i + 4] for i in range(len(token) - 3) if token[i : i + 4] in shown] == []


def test_a_masked_token_keeps_just_enough_to_tell_two_apart():
    assert masked("tok_visa_4242") == "…42"
    assert masked("tok_visa") == "…"


# --- the whole payment, under any order of deliveries, redeliveries, crashes and races ---


@dataclass
class PaymentWorld:
    """The handler's flow over the domain, with a gateway that is idempotent by key.

    Decisions are made on what was read (`seen`, possibly stale, as a read racing
    another worker is); writes check the current state as the store's conditional
    writes do, and a refused write means "retry the message".
    """

    token: str
    payment: Payment | None = None
    gateway: dict[str, Captured | Declined] = field(default_factory=dict)
    attempted: set[str] = field(default_factory=set)
    times_charged: int = 0
    refunded: set[str] = field(default_factory=set)
    cancellation_handled: bool = False

    def deliver(self, message: str, seen: Payment | None, crash_after_gateway: bool) -> bool:
        try:
            return {"placed": self._placed, "reserved": self._reserved, "cancelled": self._cancelled}[message](
                seen, crash_after_gateway
            )
        except (IntentNotYetKnown, ChargeInFlight, IllegalTransition):
            return False

    def _write(self, target: PaymentStatus, **changes: object) -> None:
        if self.payment is None:
            raise IllegalTransition("no record")
        self.payment = advance(self.payment, target, **changes)

    def _create(self, payment: Payment) -> bool:
        if self.payment is not None:
            return False
        self.payment = payment
        return True

    def _placed(self, seen: Payment | None, crash: bool) -> bool:
        self._create(Payment("o1", S.INTENT, "c1", Money(2900, "EUR"), self.token))
        return True

    def _reserved(self, seen: Payment | None, crash: bool) -> bool:
        payment = require_intent(seen)
        step = charge_step(payment)
        if step in (ChargeStep.NOTHING, ChargeStep.ANNOUNCE):
            return True
        if step is ChargeStep.CHARGE:
            self._write(S.CHARGING)
        outcome = self._charge(idempotency_key(payment.order_id), payment.token)
        if outcome is None or crash:
            return False
        if isinstance(outcome, Captured):
            self._write(S.CAPTURED, charge_id=outcome.charge_id)
        else:
            self._write(S.DECLINED, decline_reason=outcome.reason)
        return True

    def _charge(self, key: str, token: str) -> Captured | Declined | None:
        if key in self.gateway:
            return self.gateway[key]
        if token == "tok_flaky" and key not in self.attempted:
            self.attempted.add(key)
            return None
        outcome = Declined() if token == "tok_declined" else Captured(f"ch_{key}")
        self.times_charged += isinstance(outcome, Captured)
        self.gateway[key] = outcome
        return outcome

    def _cancelled(self, seen: Payment | None, crash: bool) -> bool:
        if seen is None:
            if not self._create(Payment("o1", S.CANCELLED, "c1")):
                return False
        else:
            step = cancellation_step(seen)
            if step is CancellationStep.CANCEL_INTENT:
                self._write(S.CANCELLED)
            elif step is CancellationStep.REFUND:
                self._write(S.REFUNDED, refund_id=f"re_{seen.captured_charge}")
                self.refunded.add(seen.captured_charge)
        self.cancellation_handled = True
        return True

    def money_kept(self) -> int:
        captured = {o.charge_id for o in self.gateway.values() if isinstance(o, Captured)}
        return len(captured - self.refunded)


@st.composite
def scenarios(draw):
    """A token, the messages the saga sends, and the order SQS delivers them in (with redeliveries).

    Each delivery may crash after the gateway call, and may decide on a stale read.
    """
    token = draw(st.sampled_from(["tok_visa", "tok_declined", "tok_flaky"]))
    sent = ["placed", "reserved"] + (["cancelled"] if draw(st.booleans()) else [])
    deliveries = draw(st.lists(st.tuples(st.sampled_from(sent), st.booleans(), st.booleans()), max_size=10))
    return token, sent, deliveries


@settings(max_examples=400)
@given(scenarios())
@example(
    (
        "tok_visa",
        ["placed", "reserved", "cancelled"],
        [("placed", False, False), ("reserved", True, False), ("cancelled", False, True)],
    )
)
def test_any_delivery_order_charges_at_most_once_and_a_cancelled_order_keeps_no_money(scenario):
    token, sent, deliveries = scenario
    world = PaymentWorld(token)
    handled: set[str] = set()
    before = world.payment
    for message, crash, stale in deliveries:
        now = world.payment
        if world.deliver(message, before if stale else now, crash):
            handled.add(message)
        before = now
        assert world.times_charged <= 1
        if world.cancellation_handled:
            assert world.payment is not None and world.payment.status is not S.CAPTURED

    # SQS keeps redelivering whatever has not been handled yet, until all of it is.
    for _ in range(10):
        for message in sent:
            if message not in handled and world.deliver(message, world.payment, crash_after_gateway=False):
                handled.add(message)
    assert handled == set(sent)
    assert world.times_charged <= 1
    final = world.payment.status
    if "cancelled" in sent:
        assert world.money_kept() == 0
        assert final in {S.CANCELLED, S.REFUNDED, S.DECLINED}
    elif token == "tok_declined":
        assert final is S.DECLINED and world.times_charged == 0
    else:
        assert final is S.CAPTURED and world.times_charged == 1
