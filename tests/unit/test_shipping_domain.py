import pytest
from shipping.domain import (
    DestinationNotYetKnown,
    NotServed,
    OnCancellation,
    Scheduled,
    Shipment,
    ShipmentStatus,
    on_cancellation,
    schedule,
    shipment_id_for,
)

SERVED = {"DE", "FR"}
# Order o1's shipment id, written out: it must stay the same across releases, or a repeated
# booking of an order booked before an upgrade would book a second shipment.
O1_SHIPMENT = "538d30d8-c321-5136-9b34-f8200e91b2b3"


def awaiting(country: str = "DE") -> Shipment:
    return Shipment("o1", ShipmentStatus.AWAITING_PAYMENT, country)


def test_a_paid_order_to_a_served_country_is_booked_with_a_stable_shipment_id():
    assert schedule(awaiting("DE"), SERVED) == Scheduled(O1_SHIPMENT, "DE")
    assert shipment_id_for("o1") == O1_SHIPMENT != shipment_id_for("o2")


def test_a_country_not_served_fails():
    assert schedule(awaiting("JP"), SERVED) == NotServed("JP")


def test_payment_before_the_destination_is_known_is_retried_not_dropped():
    with pytest.raises(DestinationNotYetKnown) as waiting:
        schedule(None, SERVED)
    assert str(waiting.value) == "the order's destination has not arrived yet"


def test_a_cancelled_order_books_nothing_even_when_payment_arrives_late():
    assert schedule(Shipment("o1", ShipmentStatus.CANCELLED), SERVED) is None
    assert schedule(Shipment("o1", ShipmentStatus.CANCELLED, "DE"), SERVED) is None


def test_a_repeated_payment_repeats_the_earlier_decision():
    booked = Shipment("o1", ShipmentStatus.SCHEDULED, "DE", O1_SHIPMENT)
    assert schedule(booked, SERVED) == Scheduled(O1_SHIPMENT, "DE")
    assert schedule(Shipment("o1", ShipmentStatus.FAILED, "JP"), SERVED) == NotServed("JP")


@pytest.mark.parametrize(
    ("shipment", "step"),
    [
        (None, OnCancellation.TOMBSTONE),
        (awaiting(), OnCancellation.TOMBSTONE),
        (Shipment("o1", ShipmentStatus.SCHEDULED, "DE", "s1"), OnCancellation.CALL_OFF),
        (Shipment("o1", ShipmentStatus.CANCELLED, "DE", "s1"), OnCancellation.ANNOUNCE_AGAIN),
        (Shipment("o1", ShipmentStatus.CANCELLED), OnCancellation.NOTHING),
        (Shipment("o1", ShipmentStatus.FAILED, "JP"), OnCancellation.NOTHING),
    ],
)
def test_what_a_cancellation_does_depends_on_what_was_booked(shipment, step):
    assert on_cancellation(shipment) is step


def test_a_repeated_payment_announces_the_shipment_that_was_booked():
    assert schedule(Shipment("o1", ShipmentStatus.SCHEDULED, "DE", "s-booked"), SERVED) == Scheduled("s-booked", "DE")
