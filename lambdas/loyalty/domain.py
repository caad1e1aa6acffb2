"""Loyalty's rules: points for what a customer paid, taken back when it is refunded.

Plain Python: no AWS, no JSON. The balance is a ledger: one award entry and at most
one revocation entry per order, so no redelivery can count anything twice.
"""

from dataclasses import dataclass

MINOR_UNITS_PER_POINT = 100  # one point per whole currency unit paid


@dataclass(frozen=True)
class LedgerEntry:
    order_id: str
    kind: str  # "AWARD" or "REVOKE"
    points: int  # signed: awards add, revocations subtract
    # Announced (points-awarded or points-revoked published): a repeat of its cause has nothing to do.
    announced: bool = False


def points_for(amount_minor: int) -> int:
    return amount_minor // MINOR_UNITS_PER_POINT


def award(order_id: str, amount_minor: int) -> LedgerEntry:
    return LedgerEntry(order_id, "AWARD", points_for(amount_minor))


def revoke(awarded: LedgerEntry | None, order_id: str) -> LedgerEntry:
    """Take back exactly what was awarded; with nothing awarded yet, a zero entry is the
    tombstone that stops a late award (the refund overtook the capture)."""
    return LedgerEntry(order_id, "REVOKE", -awarded.points if awarded else 0)


def balance(entries: list[LedgerEntry]) -> int:
    return sum(entry.points for entry in entries)
