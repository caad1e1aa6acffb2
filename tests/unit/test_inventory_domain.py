from hypothesis import given
from hypothesis import strategies as st
from inventory.domain import (
    OnCancellation,
    Rejected,
    RejectionReason,
    Reservation,
    ReservationStatus,
    Reserved,
    StockRequest,
    merge_lines,
    on_cancellation,
    outcome_of,
    reserve,
)


def test_reserves_every_line_when_all_are_in_stock():
    outcome = reserve([StockRequest("MUG", 2), StockRequest("TEA", 1)], {"MUG": 2, "TEA": 5})
    assert outcome == Reserved((StockRequest("MUG", 2), StockRequest("TEA", 1)))


def test_one_short_line_rejects_the_whole_order():
    outcome = reserve([StockRequest("MUG", 1), StockRequest("TEA", 6)], {"MUG": 2, "TEA": 5})
    assert outcome == Rejected(RejectionReason.OUT_OF_STOCK, ("TEA",))


def test_unknown_sku_is_reported_before_shortage():
    outcome = reserve([StockRequest("NOPE", 1), StockRequest("TEA", 6)], {"TEA": 5})
    assert outcome == Rejected(RejectionReason.UNKNOWN_SKU, ("NOPE",))


def test_the_same_sku_on_two_lines_is_held_as_one_request():
    lines = [StockRequest("MUG", 2), StockRequest("MUG", 1)]
    assert merge_lines(lines) == (StockRequest("MUG", 3),)
    assert reserve(lines, {"MUG": 2}) == Rejected(RejectionReason.OUT_OF_STOCK, ("MUG",))


@given(
    st.dictionaries(st.sampled_from(["A", "B", "C", "D"]), st.integers(0, 10)),
    st.lists(st.tuples(st.sampled_from(["A", "B", "C", "D", "E"]), st.integers(1, 10)), min_size=1),
)
def test_a_reservation_never_takes_more_than_is_on_hand(on_hand, wanted):
    outcome = reserve([StockRequest(sku, q) for sku, q in wanted], on_hand)
    if isinstance(outcome, Reserved):
        assert all(line.quantity <= on_hand[line.sku] for line in outcome.lines)
        assert sum(line.quantity for line in outcome.lines) == sum(q for _, q in wanted)
    else:
        assert outcome.skus


def test_a_redelivered_order_repeats_the_earlier_decision():
    held = Reservation("o1", ReservationStatus.RESERVED, (StockRequest("MUG", 1),))
    assert outcome_of(held) == Reserved((StockRequest("MUG", 1),))
    rejection = Rejected(RejectionReason.OUT_OF_STOCK, ("MUG",))
    assert outcome_of(Reservation("o1", ReservationStatus.REJECTED, rejection=rejection)) == rejection


def test_a_tombstone_or_released_reservation_reserves_nothing_again():
    assert outcome_of(Reservation("o1", ReservationStatus.CANCELLED)) is None
    assert outcome_of(Reservation("o1", ReservationStatus.RELEASED)) is None


def test_only_held_stock_is_released_and_a_release_is_announced_until_it_is_done():
    held = Reservation("o1", ReservationStatus.RESERVED, (StockRequest("MUG", 1),))
    assert on_cancellation(held) is OnCancellation.RELEASE
    assert on_cancellation(Reservation("o1", ReservationStatus.RELEASED)) is OnCancellation.ANNOUNCE_AGAIN
    assert on_cancellation(None) is OnCancellation.TOMBSTONE
    assert on_cancellation(Reservation("o1", ReservationStatus.REJECTED)) is OnCancellation.NOTHING
    assert on_cancellation(Reservation("o1", ReservationStatus.CANCELLED)) is OnCancellation.NOTHING
