"""Shipping's service on its own: its store on in-process moto, the address opened with shipping's
field key, the served countries handed in (not read from the environment)."""

import boto3
import pytest
from saga_events import IntegrationEvent
from saga_events.sealing import FieldOpener
from shipping.domain import DestinationNotYetKnown, NotServed, Scheduled
from shipping.service import ShippingService
from shipping.store import ShipmentStore

from tests.harness.placed import field_keys, placed_v3
from tests.integration.service_kit import LOGGER, Cause, CountedMetrics, StoppedClock, publisher


@pytest.fixture
def shipping(cloud) -> ShippingService:
    cloud.create_table("shipments", "orderId")
    return ShippingService(
        ShipmentStore(cloud.dynamodb, "shipments"),
        publisher(),
        FieldOpener(boto3.client("kms"), field_keys()["shipping"]),
        served_countries=("DE", "FR"),
        source="saga.shipping",
        logger=LOGGER,
        metrics=CountedMetrics(),
        clock=StoppedClock(),
    )


def placed(order_id: str, country: str = "DE") -> IntegrationEvent:
    return IntegrationEvent.from_cloudevent(placed_v3(order_id, country=country))


def test_a_served_destination_is_booked_and_announced(cloud, shipping, order_id):
    shipping.note_destination(placed(order_id))

    booked = shipping.schedule_shipment(order_id, Cause("captured", order_id))

    assert isinstance(booked, Scheduled) and booked.country == "DE"
    [scheduled] = cloud.published()
    assert (scheduled["type"], scheduled["data"]["shipmentId"]) == ("shipping.scheduled", booked.shipment_id)


def test_a_country_not_served_books_nothing(cloud, shipping, order_id):
    shipping.note_destination(placed(order_id, country="JP"))

    assert shipping.schedule_shipment(order_id, Cause("captured", order_id)) == NotServed("JP")
    assert [event["type"] for event in cloud.published()] == ["shipping.failed"]
    assert cloud.items("shipments")[0]["status"]["S"] == "FAILED"


def test_no_booking_before_the_destination_is_known(shipping, order_id):
    with pytest.raises(DestinationNotYetKnown):
        shipping.schedule_shipment(order_id, Cause("captured", order_id))


def test_calling_off_answers_the_shipment_and_a_tombstone_stops_a_late_booking(cloud, shipping, order_id):
    shipping.note_destination(placed(order_id))
    booked = shipping.schedule_shipment(order_id, Cause("captured", order_id))
    cloud.published()

    assert shipping.cancel_shipment(order_id, Cause("cancelled", order_id)) == booked.shipment_id
    assert [event["type"] for event in cloud.published()] == ["shipping.cancelled"]

    other = f"{order_id}-other"
    assert shipping.cancel_shipment(other, Cause("cancelled", other)) is None
    shipping.note_destination(placed(other))
    assert shipping.schedule_shipment(other, Cause("captured", other)) is None
    assert cloud.published() == []
