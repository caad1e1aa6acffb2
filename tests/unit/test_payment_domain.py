import pytest
from hypothesis import given
from hypothesis import strategies as st
from payment.domain import (
    CancellationStep,
    Captured,
    ChargeInFlight,
    ChargeStep,
    DeadlineStep,
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
    deadline_step,
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
        (S.CAPTURED, ChargeStep.SETTLED),
        (S.DECLINED, ChargeStep.SETTLED),
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
    assert (idempotency_key("o1"), idempotency_key("o2")) == ("order-o1", "order-o2")


@given(st.from_regex(r"^tok_[A-Za-z0-9_]{1,64}$", fullmatch=True))
def test_a_masked_token_shows_no_four_characters_of_the_token_in_a_row(token):
    shown = masked(token)
    assert [token[i : i + 4] for i in range(len(token) - 3) if token[i : i + 4] in shown] == []


def test_a_masked_token_keeps_just_enough_to_tell_two_apart():
    assert masked("tok_visa_4242") == "…42"
    assert masked("tok_visa") == "…"


def test_a_decline_recorded_without_a_reason_is_repeated_as_a_card_decline():
    assert outcome_of(Payment("o1", S.DECLINED)) == Declined(DeclineReason.CARD_DECLINED)


def test_a_refused_transition_names_the_order_and_both_states():
    with pytest.raises(IllegalTransition) as refused:
        advance(Payment("o1", S.CAPTURED), S.CHARGING)
    assert str(refused.value) == "payment for o1: CAPTURED → CHARGING is not allowed"
    with pytest.raises(IllegalTransition) as refused:
        outcome_of(Payment("o2", S.INTENT))
    assert str(refused.value) == "payment for o2 has no settled charge (INTENT)"


def test_a_message_sent_back_for_retry_says_why_it_must_wait():
    with pytest.raises(IntentNotYetKnown) as waiting:
        require_intent(None)
    assert str(waiting.value) == "no payment intent for this order yet"
    with pytest.raises(ChargeInFlight) as waiting:
        cancellation_step(Payment("o1", S.CHARGING))
    assert str(waiting.value) == "a charge for this order has not settled yet"


def test_a_token_is_shown_in_part_only_from_nine_characters_on():
    assert masked("tok_abcde") == "…de"
    assert masked("tok_abcd") == "…"


@pytest.mark.parametrize(
    ("status", "step"),
    [
        (None, DeadlineStep.GIVE_UP_CHARGE),
        (S.INTENT, DeadlineStep.GIVE_UP_CHARGE),
        (S.CHARGING, DeadlineStep.SETTLE_WITH_GATEWAY),
        (S.CAPTURED, DeadlineStep.ANNOUNCE),
        (S.DECLINED, DeadlineStep.ANNOUNCE),
        (S.REFUNDED, DeadlineStep.NOTHING),
        (S.CANCELLED, DeadlineStep.NOTHING),
    ],
)
def test_what_a_passed_deadline_means_in_each_state(status, step):
    assert deadline_step(None if status is None else Payment("o1", status)) is step


def test_only_a_charge_in_flight_is_asked_of_the_gateway_at_the_deadline():
    asked = {status for status in S if deadline_step(Payment("o1", status)) is DeadlineStep.SETTLE_WITH_GATEWAY}
    assert asked == {S.CHARGING}


def test_a_charge_given_up_at_the_deadline_is_declined_and_says_why():
    declined = Payment("o1", S.DECLINED, decline_reason=DeclineReason.DEADLINE_PASSED)
    assert outcome_of(declined) == Declined(DeclineReason.DEADLINE_PASSED)
    # A late reservation never charges (the deadline's event announced the outcome).
    assert charge_step(declined) is ChargeStep.SETTLED
    assert cancellation_step(declined) is CancellationStep.NOTHING
