"""Payment's service on its own: its store and the simulated gateway on in-process moto, the token
opened with payment's field key, the bus read back; no handler module, no environment."""

import boto3
import pytest
from payment.domain import Captured, ChargeInFlight, Declined, DeclineReason
from payment.gateway import GatewayUnavailable, SimulatedGateway
from payment.service import PaymentService
from payment.store import PaymentStore
from saga_events import IntegrationEvent
from saga_events.sealing import FieldOpener

from tests.harness.placed import field_keys, placed_v3
from tests.integration.service_kit import LOGGER, Cause, CountedMetrics, StoppedClock, publisher


@pytest.fixture
def payment(cloud) -> PaymentService:
    cloud.create_table("payments", "orderId")
    cloud.create_table("gateway", "chargeKey")
    kms = boto3.client("kms")
    return PaymentService(
        PaymentStore(cloud.dynamodb, "payments"),
        SimulatedGateway(cloud.dynamodb, "gateway"),
        publisher(),
        FieldOpener(kms, field_keys()["payment"]),
        source="saga.payment",
        logger=LOGGER,
        metrics=CountedMetrics(),
        clock=StoppedClock(),
    )


def placed(order_id: str, token: str = "tok_visa") -> IntegrationEvent:
    return IntegrationEvent.from_cloudevent(placed_v3(order_id, token))


def charges(cloud) -> list[dict]:
    return [item for item in cloud.items("gateway") if item["chargeKey"]["S"].startswith("charge#")]


def test_a_charge_captures_once_and_announces_it(cloud, payment, order_id):
    assert payment.note_payment_intent(placed(order_id))
    cause = Cause(f"reserved-{order_id}", order_id)

    outcome = payment.charge_payment(order_id, cause)

    assert isinstance(outcome, Captured)
    [captured] = cloud.published()
    assert (captured["type"], captured["causationid"], captured["data"]["paymentId"]) == (
        "payment.captured",
        cause.id,
        outcome.charge_id,
    )
    assert payment.charge_payment(order_id, cause) == outcome
    assert len(charges(cloud)) == 1


def test_a_declined_token_takes_nothing(cloud, payment, order_id):
    payment.note_payment_intent(placed(order_id, "tok_declined"))

    assert payment.charge_payment(order_id, Cause("r", order_id)) == Declined(DeclineReason.CARD_DECLINED)
    assert charges(cloud) == []
    assert [event["type"] for event in cloud.published()] == ["payment.declined"]


def test_a_transient_gateway_error_reaches_the_caller_and_asking_again_charges_once(cloud, payment, order_id):
    payment.note_payment_intent(placed(order_id, "tok_flaky"))

    with pytest.raises(GatewayUnavailable):
        payment.charge_payment(order_id, Cause("r", order_id))
    # A refund asked now must wait for the charge to settle, not give up on it.
    with pytest.raises(ChargeInFlight):
        payment.refund_payment(order_id, "cust-42", Cause("c", order_id))

    assert isinstance(payment.charge_payment(order_id, Cause("r", order_id)), Captured)
    assert len(charges(cloud)) == 1


def test_a_refund_gives_back_the_capture(cloud, payment, order_id):
    payment.note_payment_intent(placed(order_id))
    captured = payment.charge_payment(order_id, Cause("r", order_id))
    cloud.published()

    assert payment.refund_payment(order_id, "cust-42", Cause("c", order_id)) == captured.charge_id
    assert [c["state"]["S"] for c in charges(cloud)] == ["REFUNDED"]
    assert [event["type"] for event in cloud.published()] == ["payment.refunded"]


def test_a_refund_before_the_intent_leaves_a_tombstone_no_late_charge_gets_past(cloud, payment, order_id):
    assert payment.refund_payment(order_id, "cust-42", Cause("c", order_id)) is None

    assert not payment.note_payment_intent(placed(order_id))
    assert payment.charge_payment(order_id, Cause("r", order_id)) is None
    assert charges(cloud) == []
    assert cloud.published() == []
