"""Inventory's rules: a reservation holds every line of an order, or nothing.

Plain Python: no AWS, no JSON. The store enforces the same rules atomically with
conditional writes, so a race between two orders can only make a decision retry,
never oversell.
"""

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum


class RejectionReason(StrEnum):
    OUT_OF_STOCK = "OUT_OF_STOCK"
    UNKNOWN_SKU = "UNKNOWN_SKU"
    ORDER_CANCELLED = "ORDER_CANCELLED"


class ReservationStatus(StrEnum):
    RESERVED = "RESERVED"
    REJECTED = "REJECTED"
    RELEASED = "RELEASED"
    # A tombstone: the order was cancelled before its reservation was attempted.
    CANCELLED = "CANCELLED"


@dataclass(frozen=True)
class StockRequest:
    sku: str
    quantity: int


@dataclass(frozen=True)
class Reserved:
    lines: tuple[StockRequest, ...]


@dataclass(frozen=True)
class Rejected:
    reason: RejectionReason
    skus: tuple[str, ...]


@dataclass(frozen=True)
class Reservation:
    order_id: str
    status: ReservationStatus
    lines: tuple[StockRequest, ...] = ()
    rejection: Rejected | None = None
    # Its outcome (reserved or rejected) was published: a repeat of order.placed has nothing to do.
    announced: bool = False


def merge_lines(lines: Iterable[StockRequest]) -> tuple[StockRequest, ...]:
    """One request per SKU: an order may list a SKU twice, stock is held per SKU."""
    totals: Counter[str] = Counter()
    for line in lines:
        totals[line.sku] += line.quantity
    return tuple(StockRequest(sku, quantity) for sku, quantity in sorted(totals.items()))


def reserve(lines: Iterable[StockRequest], on_hand: Mapping[str, int]) -> Reserved | Rejected:
    """Decide a reservation from the stock on hand (SKUs missing from `on_hand` are unknown).

    Unknown SKUs are reported before shortages: a customer can fix neither, but an
    unknown SKU usually means a stale catalogue, which is worth telling apart.
    """
    wanted = merge_lines(lines)
    unknown = tuple(line.sku for line in wanted if line.sku not in on_hand)
    if unknown:
        return Rejected(RejectionReason.UNKNOWN_SKU, unknown)
    short = tuple(line.sku for line in wanted if on_hand[line.sku] < line.quantity)
    if short:
        return Rejected(RejectionReason.OUT_OF_STOCK, short)
    return Reserved(wanted)


def outcome_of(reservation: Reservation) -> Reserved | Rejected | None:
    """What an earlier decision for this order was, so a redelivered order.placed repeats it.

    A released reservation or a tombstone has no outcome to repeat: the order is cancelled.
    """
    if reservation.status is ReservationStatus.RESERVED:
        return Reserved(reservation.lines)
    if reservation.status is ReservationStatus.REJECTED:
        return reservation.rejection
    return None


class OnCancellation(StrEnum):
    RELEASE = "RELEASE"  # stock is held: put it back and announce it
    ANNOUNCE_AGAIN = "ANNOUNCE_AGAIN"  # released already, but the announcement may have failed
    TOMBSTONE = "TOMBSTONE"  # nothing held yet: make sure nothing will be
    NOTHING = "NOTHING"  # rejected, or already a tombstone


def on_cancellation(reservation: Reservation | None) -> OnCancellation:
    """On cancellation, only stock that is actually held goes back."""
    if reservation is None:
        return OnCancellation.TOMBSTONE
    return {
        ReservationStatus.RESERVED: OnCancellation.RELEASE,
        ReservationStatus.RELEASED: OnCancellation.ANNOUNCE_AGAIN,
    }.get(reservation.status, OnCancellation.NOTHING)
