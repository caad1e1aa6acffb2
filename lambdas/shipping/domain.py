"""Shipping's rules: book a shipment for a paid order if its destination is served; call it off on cancellation.

Plain Python: no AWS, no JSON. A shipment record moves
AWAITING_PAYMENT → SCHEDULED | FAILED, SCHEDULED → CANCELLED; a CANCELLED record
with no shipment booked is the tombstone that stops a late booking.
"""

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

_SHIPMENT_NAMESPACE = uuid.UUID("0f4b9e2a-6c1d-4c55-8f8e-2d8a4f7b1c3e")


class ShipmentStatus(StrEnum):
    AWAITING_PAYMENT = "AWAITING_PAYMENT"
    SCHEDULED = "SCHEDULED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


@dataclass(frozen=True)
class Shipment:
    order_id: str
    status: ShipmentStatus
    country: str | None = None
    shipment_id: str | None = None
    # The booking's outcome (scheduled or failed) was published: a repeat of payment.captured has nothing to do.
    announced: bool = False


@dataclass(frozen=True)
class Scheduled:
    shipment_id: str
    country: str


@dataclass(frozen=True)
class NotServed:
    country: str


class DestinationNotYetKnown(LookupError):
    """payment.captured overtook order.placed: retry until the destination is known."""


def shipment_id_for(order_id: str) -> str:
    """One order, one shipment: a stable id makes a repeated booking the same booking."""
    return str(uuid.uuid5(_SHIPMENT_NAMESPACE, order_id))


def schedule(shipment: Shipment | None, served_countries: Collection[str]) -> Scheduled | NotServed | None:
    """What to do when the order is paid. None: nothing (cancelled, or decided before)."""
    if shipment is None or shipment.country is None:
        if shipment is not None and shipment.status is ShipmentStatus.CANCELLED:
            return None
        raise DestinationNotYetKnown("the order's destination has not arrived yet")
    if shipment.status is ShipmentStatus.CANCELLED:
        return None
    if shipment.status is ShipmentStatus.SCHEDULED:
        return Scheduled(shipment.shipment_id or shipment_id_for(shipment.order_id), shipment.country)
    if shipment.status is ShipmentStatus.FAILED:
        return NotServed(shipment.country)
    if shipment.country not in served_countries:
        return NotServed(shipment.country)
    return Scheduled(shipment_id_for(shipment.order_id), shipment.country)


class OnCancellation(StrEnum):
    CALL_OFF = "CALL_OFF"  # a shipment is booked: call it off and announce it
    ANNOUNCE_AGAIN = "ANNOUNCE_AGAIN"  # called off already, but the announcement may have failed
    TOMBSTONE = "TOMBSTONE"  # nothing booked yet: make sure nothing will be
    NOTHING = "NOTHING"


def on_cancellation(shipment: Shipment | None) -> OnCancellation:
    if shipment is None or shipment.status is ShipmentStatus.AWAITING_PAYMENT:
        return OnCancellation.TOMBSTONE
    if shipment.status is ShipmentStatus.SCHEDULED:
        return OnCancellation.CALL_OFF
    if shipment.status is ShipmentStatus.CANCELLED and shipment.shipment_id:
        return OnCancellation.ANNOUNCE_AGAIN
    return OnCancellation.NOTHING
