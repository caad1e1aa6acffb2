"""Loyalty's and notification's services on their own: the ledger and the customer topic on
in-process moto, clients and the topic handed in."""

import json

import pytest
from loyalty.service import LoyaltyService
from loyalty.store import LedgerStore
from notification.service import NotificationService

from tests.integration.service_kit import LOGGER, Cause, CountedMetrics, StoppedClock, publisher


@pytest.fixture
def loyalty(cloud) -> LoyaltyService:
    cloud.create_table("ledger", "customerId", "entry")
    return LoyaltyService(
        LedgerStore(cloud.dynamodb, "ledger"),
        publisher(),
        source="saga.loyalty",
        logger=LOGGER,
        metrics=CountedMetrics(),
        clock=StoppedClock(),
    )


def test_points_are_awarded_once_and_revoked_exactly(cloud, loyalty, order_id):
    captured = Cause(f"captured-{order_id}", order_id)

    assert loyalty.award_points("cust-42", order_id, 2500, captured) == 25
    assert loyalty.award_points("cust-42", order_id, 2500, captured) == 25
    assert loyalty.revoke_points("cust-42", order_id, Cause("refunded", order_id)) == 25

    entries = sorted((item["kind"]["S"], int(item["points"]["N"])) for item in cloud.items("ledger"))
    assert entries == [("AWARD", 25), ("REVOKE", -25)]
    published = cloud.published()
    assert [e["type"] for e in published] == ["loyalty.points-awarded"] * 2 + ["loyalty.points-revoked"]
    # A repeat announces the same event again: consumers drop the duplicate by its id.
    assert published[0]["id"] == published[1]["id"]


def test_a_refund_first_leaves_a_tombstone_no_late_award_passes(cloud, loyalty, order_id):
    assert loyalty.revoke_points("cust-42", order_id, Cause("refunded", order_id)) == 0
    assert loyalty.award_points("cust-42", order_id, 2500, Cause("captured", order_id)) == 0
    assert cloud.published() == []


def test_the_customer_is_told_on_the_topic_handed_in(cloud):
    topic = cloud.create_topic("customers")
    metrics = CountedMetrics()
    notification = NotificationService(cloud.sns, topic, metrics=metrics)

    notification.tell_cancelled("order-1", "cust-42", "PAYMENT_DECLINED", "cancelled-event-1")

    [message] = cloud.notified()
    assert "the payment was declined" in message["Message"]
    assert message["MessageAttributes"]["eventId"]["Value"] == "cancelled-event-1"
    assert json.dumps(metrics.counts) == '{"CustomersNotified": 1}'
