from hypothesis import given
from hypothesis import strategies as st
from loyalty.domain import LedgerEntry, award, balance, points_for, revoke


def test_one_point_per_whole_currency_unit():
    assert points_for(12_99) == 12
    assert award("o1", 50_00) == LedgerEntry("o1", "AWARD", 50)


def test_a_revocation_takes_back_exactly_what_was_awarded():
    awarded = award("o1", 50_00)
    assert revoke(awarded, "o1") == LedgerEntry("o1", "REVOKE", -50)
    assert balance([awarded, revoke(awarded, "o1")]) == 0


def test_a_refund_before_the_award_leaves_a_zero_tombstone():
    assert revoke(None, "o1") == LedgerEntry("o1", "REVOKE", 0)


@given(st.lists(st.integers(0, 10_000_00), max_size=20), st.data())
def test_the_balance_is_the_sum_of_what_was_not_refunded(amounts, data):
    refunded = [data.draw(st.booleans()) for _ in amounts]
    entries = []
    for index, (amount, is_refunded) in enumerate(zip(amounts, refunded, strict=True)):
        awarded = award(f"o{index}", amount)
        entries.append(awarded)
        if is_refunded:
            entries.append(revoke(awarded, f"o{index}"))
    expected = sum(a // 100 for a, r in zip(amounts, refunded, strict=True) if not r)  # a point per 100 cents
    assert balance(entries) == expected
