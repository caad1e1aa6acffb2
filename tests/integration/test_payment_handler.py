"""The real payment handler, fed SQS batches, against moto: charges once, refunds on cancellation."""

import json
import logging
import uuid

import pytest
from saga_events import new_event
from saga_events.validation import validate_event

from tests.harness.lambda_events import record_for, sqs_record
from tests.integration.payment_worker import (
    PaymentWorker,
    inventory_reserved,
    only,
    order_cancelled,
    order_placed,
)

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics:UserWarning")

ORDER_ID = str(uuid.uuid4())
EMPTY_ORDER_PLACED = new_event(
    "order.placed", {}, source="saga.order", correlation_id=ORDER_ID, causation_id=ORDER_ID, version=3
)


def test_a_reserved_order_is_charged_and_payment_captured_is_published(payment, order_id):
    assert payment.deliver(order_placed(order_id)) == []
    assert payment.payment(order_id)["status"] == "INTENT"
    reserved = inventory_reserved(order_id)

    assert payment.deliver(reserved) == []

    captured = only(payment.cloud.published(), "payment.captured")
    validate_event(captured)
    record = payment.payment(order_id)
    assert record["status"] == "CAPTURED"
    assert "paymentMethodToken" not in record
    # The provider's own record of the charge, not our reading of it, says what was taken.
    [charge] = payment.charges()
    assert (charge["chargeKey"]["S"], charge["amount"]["N"], charge["currency"]["S"]) == (
        f"charge#{captured['data']['paymentId']}",
        "2500",
        "EUR",
    )
    assert record["chargeId"] == captured["data"]["paymentId"]
    assert captured["data"]["amount"] == {"amount": 2500, "currency": "EUR"}
    assert captured["data"]["customerId"] == "cust-42"
    assert (captured["source"], captured["causationid"], captured["correlationid"]) == (
        "saga.payment",
        reserved["id"],
        order_id,
    )


def test_a_declining_token_publishes_payment_declined(payment, order_id):
    payment.deliver(order_placed(order_id, token="tok_declined"))
    assert payment.deliver(inventory_reserved(order_id)) == []

    declined = only(payment.cloud.published(), "payment.declined")
    validate_event(declined)
    assert declined["data"]["reason"] == "CARD_DECLINED"
    assert payment.payment(order_id)["status"] == "DECLINED"
    assert payment.charges() == []


def test_a_flaky_gateway_fails_the_first_delivery_and_charges_once_on_the_retry(payment, order_id):
    payment.deliver(order_placed(order_id, token="tok_flaky"))
    record, another_order = record_for(inventory_reserved(order_id)), record_for(order_placed(str(uuid.uuid4())))

    assert payment.deliver_records(record, another_order) == [record["messageId"]]
    assert payment.payment(order_id)["status"] == "CHARGING"
    assert payment.cloud.published() == []

    assert payment.deliver_records(record) == []
    assert payment.payment(order_id)["status"] == "CAPTURED"
    only(payment.cloud.published(), "payment.captured")
    assert len(payment.charges()) == 1
    # The provider keeps the failed attempt on the key's record: what an operator (or a test) sees.
    [key] = [i for i in payment.cloud.items("gateway") if i["chargeKey"]["S"] == f"key#order-{order_id}"]
    assert key["state"]["S"] == "CAPTURED"
    assert key["failedAt"]["S"] < key["settledAt"]["S"]


def test_a_reservation_delivered_three_times_charges_once(payment, order_id):
    payment.deliver(order_placed(order_id))
    reserved = inventory_reserved(order_id)
    for _ in range(3):
        assert payment.deliver(reserved) == []
    assert payment.deliver(reserved, reserved) == []

    captured = [event for event in payment.cloud.published() if event["type"] == "payment.captured"]
    assert len({event["id"] for event in captured}) == 1
    assert len(payment.charges()) == 1


def test_a_crash_between_the_gateway_and_our_write_still_charges_once(payment, order_id, monkeypatch):
    payment.deliver(order_placed(order_id))
    record = record_for(inventory_reserved(order_id))
    record_capture = payment.handler.store.record_capture

    def crash(*args: object) -> None:
        raise ConnectionError("the function died after the gateway answered")

    monkeypatch.setattr(payment.handler.store, "record_capture", crash)
    assert payment.deliver_records(record) == [record["messageId"]]
    monkeypatch.setattr(payment.handler.store, "record_capture", record_capture)

    assert payment.deliver_records(record) == []
    assert payment.payment(order_id)["status"] == "CAPTURED"
    assert len(payment.charges()) == 1
    # The outcome is announced before it is recorded: the crash came after the first announcement,
    # so the retry announces it again, as the same event (consumers take an event id once).
    captured = [event for event in payment.cloud.published() if event["type"] == "payment.captured"]
    assert len(captured) == 2 and len({event["id"] for event in captured}) == 1


def test_a_settled_charge_is_not_announced_again_by_a_repeat(payment, order_id):
    payment.deliver(order_placed(order_id))
    reserved = inventory_reserved(order_id)
    assert payment.deliver(reserved) == []
    only(payment.cloud.published(), "payment.captured")

    assert payment.deliver(reserved) == []

    assert [event["type"] for event in payment.cloud.published()] == []
    assert payment.cloud.items("payment-idempotency") == []  # no idempotency record was needed


def test_a_failed_publish_is_repeated_on_the_retry_without_charging_again(payment, order_id, monkeypatch):
    payment.deliver(order_placed(order_id))
    record = record_for(inventory_reserved(order_id))
    publish = payment.handler.publisher.publish

    def refuse(events: list) -> None:
        raise ConnectionError("EventBridge is unreachable")

    monkeypatch.setattr(payment.handler.publisher, "publish", refuse)
    assert payment.deliver_records(record) == [record["messageId"]]
    monkeypatch.setattr(payment.handler.publisher, "publish", publish)

    assert payment.deliver_records(record) == []
    only(payment.cloud.published(), "payment.captured")
    assert len(payment.charges()) == 1


def test_a_reservation_before_its_order_is_retried_until_the_order_arrives(payment, order_id):
    record, another_order = record_for(inventory_reserved(order_id)), record_for(order_placed(str(uuid.uuid4())))
    assert payment.deliver_records(record, another_order) == [record["messageId"]]
    assert payment.payment(order_id) == {}

    payment.deliver(order_placed(order_id))
    assert payment.deliver_records(record) == []
    assert payment.payment(order_id)["status"] == "CAPTURED"


def test_a_cancellation_after_capture_refunds_once(payment, order_id):
    payment.deliver(order_placed(order_id), inventory_reserved(order_id))
    charge_id = payment.payment(order_id)["chargeId"]
    payment.cloud.published()
    cancelled = record_for(order_cancelled(order_id))

    assert payment.deliver_records(cancelled) == []
    assert payment.deliver_records(cancelled) == []
    assert payment.deliver(order_cancelled(order_id)) == []

    refunded = only(payment.cloud.published(), "payment.refunded")
    validate_event(refunded)
    assert refunded["data"]["paymentId"] == charge_id
    assert refunded["data"]["amount"] == {"amount": 2500, "currency": "EUR"}
    assert payment.payment(order_id)["status"] == "REFUNDED"
    [charge] = payment.charges()
    assert charge["state"]["S"] == "REFUNDED"


def test_a_cancellation_before_the_reservation_charges_nothing(payment, order_id):
    payment.deliver(order_placed(order_id))
    assert payment.deliver(order_cancelled(order_id)) == []
    assert payment.payment(order_id)["status"] == "CANCELLED"

    assert payment.deliver(inventory_reserved(order_id)) == []

    assert payment.payment(order_id)["status"] == "CANCELLED"
    assert payment.charges() == []
    assert payment.cloud.published() == []


def test_a_cancellation_before_the_order_leaves_a_tombstone_the_order_cannot_overwrite(payment, order_id):
    assert payment.deliver(order_cancelled(order_id)) == []
    assert payment.deliver(order_placed(order_id), inventory_reserved(order_id)) == []

    record = payment.payment(order_id)
    assert record["status"] == "CANCELLED"
    assert "paymentMethodToken" not in record
    assert payment.charges() == []
    assert payment.cloud.published() == []


def test_a_cancellation_while_charging_waits_for_the_charge_then_refunds(payment, order_id):
    payment.deliver(order_placed(order_id, token="tok_flaky"))
    reserved, cancelled = record_for(inventory_reserved(order_id)), record_for(order_cancelled(order_id))
    assert payment.deliver_records(reserved) == [reserved["messageId"]]

    assert payment.deliver_records(cancelled) == [cancelled["messageId"]]
    assert payment.deliver_records(reserved) == []
    assert payment.deliver_records(cancelled) == []

    assert payment.payment(order_id)["status"] == "REFUNDED"
    published = payment.cloud.published()
    assert (
        only(published, "payment.refunded")["data"]["paymentId"]
        == only(published, "payment.captured")["data"]["paymentId"]
    )


def test_a_declined_payment_has_nothing_to_refund(payment, order_id):
    payment.deliver(order_placed(order_id, token="tok_declined"), inventory_reserved(order_id))
    payment.cloud.published()

    assert payment.deliver(order_cancelled(order_id, reason="PAYMENT_DECLINED")) == []

    assert payment.payment(order_id)["status"] == "DECLINED"
    assert payment.cloud.published() == []


def fragments(token: str, size: int = 4) -> set[str]:
    return {token[i : i + size] for i in range(len(token) - size + 1)}


def logged_lines(payment: PaymentWorker, records: list[logging.LogRecord]) -> list[dict]:
    """Each record as the function writes it to its log: Powertools' JSON line for the payment
    logger (structured fields included), the message and its arguments for any other logger."""
    formatter = payment.handler.logger.registered_formatter
    return [
        json.loads(formatter.format(record)) if record.name == "payment" else {"message": record.getMessage()}
        for record in records
    ]


def test_no_four_characters_of_a_payment_method_token_are_logged(payment, order_id, caplog):
    # A token none of whose fragments is an ordinary log word, so any match is a leak.
    distinctive = "tok_visa_Q7zR2mX9wK"
    declined_order = str(uuid.uuid4())
    with caplog.at_level(logging.INFO):
        payment.deliver(order_placed(order_id, token=distinctive), inventory_reserved(order_id))
        payment.deliver(order_placed(declined_order, token="tok_declined"), inventory_reserved(declined_order))

    lines = logged_lines(payment, caplog.records)
    by_message = {line["message"]: line for line in lines}
    assert {"payment intent recorded", "charge declined"} <= set(by_message)
    assert by_message["charge declined"]["correlation_id"] == declined_order
    leaks = [(fragment, line) for line in lines for fragment in fragments(distinctive) if fragment in json.dumps(line)]
    assert leaks == []
    # "charge declined" itself spells most of "tok_declined": search every field but the message.
    leaks = [
        (fragment, name, value)
        for line in lines
        for name, value in line.items()
        if name != "message"
        for fragment in fragments("tok_declined")
        if fragment in json.dumps(value)
    ]
    assert leaks == []


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("not json", "SQS message body is not JSON"),
        (json.dumps({"detail-type": "order.placed", "detail": {"type": "order.placed"}}), "envelope invalid"),
        (
            json.dumps({"detail-type": "order.placed", "detail": EMPTY_ORDER_PLACED}),
            "order.placed data invalid",
        ),
    ],
    ids=["not-json", "not-a-cloudevent", "breaks-its-schema"],
)
def test_an_invalid_message_is_rejected_cleanly_named_for_retry_and_changes_nothing(
    payment, order_id, body, reason, caplog
):
    bad, good = sqs_record(body), record_for(order_placed(order_id))

    with caplog.at_level(logging.INFO):
        assert payment.deliver_records(bad, good) == [bad["messageId"]]

    # Refused by the receiver with its reason, not a handler that crashed on it.
    [rejected] = [r for r in caplog.records if r.getMessage() == "rejected invalid event"]
    assert (rejected.levelno, rejected.message_id) == (logging.ERROR, bad["messageId"])
    assert rejected.reason.startswith(reason), rejected.reason
    assert [item["orderId"]["S"] for item in payment.cloud.items("payments")] == [order_id]
    assert payment.cloud.items("gateway") == []
    assert payment.cloud.published() == []
