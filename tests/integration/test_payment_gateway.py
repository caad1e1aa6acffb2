"""The simulated card gateway against moto: what the provider charges, remembers and refunds.

Its table stands in for the provider's books, which the e2e scenarios and the demo read as
"the money actually taken", so the records themselves are part of its behaviour.
"""

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from payment.domain import Captured, Declined, DeclineReason, Money, Voided
from payment.gateway import GatewayUnavailable, SimulatedGateway, UnknownCharge

from saga_client.operations import every_item

TABLE = "gateway"
EUROS = Money(2500, "EUR")


@pytest.fixture
def dynamodb(monkeypatch) -> Iterator[Any]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        client = boto3.client("dynamodb")
        client.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "chargeKey", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "chargeKey", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield client


@pytest.fixture
def gateway(dynamodb) -> SimulatedGateway:
    return SimulatedGateway(dynamodb, TABLE)


def record(dynamodb, charge_key: str) -> dict[str, str]:
    item = dynamodb.get_item(TableName=TABLE, Key={"chargeKey": {"S": charge_key}}, ConsistentRead=True)["Item"]
    return {name: next(iter(value.values())) for name, value in item.items()}


def charges(dynamodb) -> list[dict]:
    """What the provider took: its charge records, not its idempotency keys."""
    return [
        item for item in every_item(dynamodb, "scan", TableName=TABLE) if item["chargeKey"]["S"].startswith("charge#")
    ]


def without_times(item: dict[str, str], *names: str) -> dict[str, str]:
    """The record without its timestamps, after checking that each is a UTC time."""
    for name in names:
        assert datetime.fromisoformat(item[name]).utcoffset() == timedelta(0), (name, item[name])
    return {key: value for key, value in item.items() if key not in names}


def test_a_capture_books_the_amount_charged_against_the_key(gateway, dynamodb):
    outcome = gateway.charge("order-1", "tok_visa", EUROS)

    assert isinstance(outcome, Captured) and outcome.charge_id.startswith("ch_")
    charge = record(dynamodb, f"charge#{outcome.charge_id}")
    assert without_times(charge, "capturedAt") == {
        "chargeKey": f"charge#{outcome.charge_id}",
        "state": "CAPTURED",
        "idempotencyKey": "order-1",
        "amount": "2500",
        "currency": "EUR",
    }
    assert without_times(record(dynamodb, "key#order-1"), "settledAt") == {
        "chargeKey": "key#order-1",
        "state": "CAPTURED",
        "chargeId": outcome.charge_id,
    }


def test_a_declined_card_takes_nothing_and_the_decline_is_remembered(gateway, dynamodb):
    assert gateway.charge("order-1", "tok_declined", EUROS) == Declined(DeclineReason.CARD_DECLINED)

    assert without_times(record(dynamodb, "key#order-1"), "settledAt") == {
        "chargeKey": "key#order-1",
        "state": "DECLINED",
        "declineReason": "CARD_DECLINED",
    }
    # The provider answers a key with its first outcome, whatever is asked later.
    assert gateway.charge("order-1", "tok_visa", EUROS) == Declined(DeclineReason.CARD_DECLINED)
    assert charges(dynamodb) == []


def test_something_that_is_not_a_token_is_declined(gateway):
    assert gateway.charge("order-1", "4242424242424242", EUROS) == Declined(DeclineReason.CARD_DECLINED)


def test_asking_again_with_the_same_key_never_charges_twice(gateway, dynamodb):
    first = gateway.charge("order-1", "tok_visa", EUROS)
    assert gateway.charge("order-1", "tok_visa", EUROS) == first
    assert gateway.charge("order-2", "tok_visa", EUROS) != first
    assert len(every_item(dynamodb, "scan", TableName=TABLE)) == 4  # a key and a charge per order


def test_a_flaky_token_fails_each_key_once_then_captures(gateway, dynamodb):
    for key in ("order-1", "order-2"):
        with pytest.raises(GatewayUnavailable) as failure:
            gateway.charge(key, "tok_flaky", EUROS)
        # What the retried message's log says: the retry is safe.
        assert str(failure.value) == "the gateway timed out; nothing was charged"
        assert without_times(record(dynamodb, f"key#{key}"), "failedAt") == {
            "chargeKey": f"key#{key}",
            "state": "ATTEMPTED",
        }

    captured = gateway.charge("order-1", "tok_flaky", EUROS)
    assert isinstance(captured, Captured)
    assert gateway.charge("order-1", "tok_flaky", EUROS) == captured
    # The provider's log of attempts keeps the failure once the key has settled.
    assert without_times(record(dynamodb, "key#order-1"), "failedAt", "settledAt") == {
        "chargeKey": "key#order-1",
        "state": "CAPTURED",
        "chargeId": captured.charge_id,
    }


def test_a_refund_is_booked_on_the_charge_and_repeating_it_returns_the_first_refund(gateway, dynamodb):
    charge = gateway.charge("order-1", "tok_visa", EUROS)
    assert isinstance(charge, Captured)

    refund_id = gateway.refund(charge.charge_id)

    assert refund_id.startswith("re_")
    booked = without_times(record(dynamodb, f"charge#{charge.charge_id}"), "capturedAt", "refundedAt")
    assert booked["state"] == "REFUNDED" and booked["refundId"] == refund_id
    assert gateway.refund(charge.charge_id) == refund_id
    assert (
        record(dynamodb, f"charge#{charge.charge_id}")["refundedAt"]
        == record(dynamodb, f"charge#{charge.charge_id}")["refundedAt"]
    )


def test_refunding_a_charge_the_provider_never_made_is_a_bug_not_a_retry(gateway):
    with pytest.raises(UnknownCharge, match=r"^no charge ch_nope$"):
        gateway.refund("ch_nope")


class RacingClient:
    """A DynamoDB client on which another worker's settlement lands just before ours."""

    def __init__(self, client: Any, before_our_write: Any) -> None:
        self._client = client
        self._before_our_write = before_our_write

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def transact_write_items(self, **kwargs: Any) -> Any:
        before, self._before_our_write = self._before_our_write, None
        if before is not None:
            before()
        return self._client.transact_write_items(**kwargs)


@pytest.mark.parametrize(("ours", "theirs"), [("tok_visa", "tok_declined"), ("tok_declined", "tok_visa")])
def test_two_workers_charging_one_key_at_once_both_get_the_outcome_settled_first(dynamodb, ours, theirs):
    other_worker = SimulatedGateway(dynamodb, TABLE)
    settled_first: list[Captured | Declined] = []
    racing = SimulatedGateway(
        RacingClient(dynamodb, lambda: settled_first.append(other_worker.charge("order-1", theirs, EUROS))),
        TABLE,
    )

    assert racing.charge("order-1", ours, EUROS) == settled_first[0]
    assert len(charges(dynamodb)) == (1 if isinstance(settled_first[0], Captured) else 0)


def test_a_write_that_loses_to_a_conflict_is_a_transient_failure(dynamodb):
    def conflict() -> None:
        raise ClientError(
            {"Error": {"Code": "TransactionCanceledException", "Message": "TransactionConflict"}},
            "TransactWriteItems",
        )

    failing = SimulatedGateway(RacingClient(dynamodb, conflict), TABLE)
    with pytest.raises(GatewayUnavailable, match=r"^the gateway could not settle the charge; nothing was charged$"):
        failing.charge("order-1", "tok_visa", EUROS)
    assert every_item(dynamodb, "scan", TableName=TABLE) == []


def test_other_provider_errors_are_not_mistaken_for_a_settled_charge(dynamodb):
    def throttled() -> None:
        raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "TransactWriteItems")

    with pytest.raises(ClientError, match="ThrottlingException"):
        SimulatedGateway(RacingClient(dynamodb, throttled), TABLE).charge("order-1", "tok_visa", EUROS)


# --- what the provider says later: look-up and void ------------------------------------------------


def test_a_charge_that_never_reaches_the_provider_fails_every_time_and_is_voided(gateway, dynamodb):
    for _ in range(3):
        with pytest.raises(GatewayUnavailable):
            gateway.charge("order-1", "tok_unreachable", EUROS)
    assert gateway.look_up("order-1") is None

    assert gateway.void("order-1") == Voided()
    assert gateway.void("order-1") == Voided()  # voiding twice is one void

    # No attempt after the void can charge, whatever the token.
    assert gateway.charge("order-1", "tok_visa", EUROS) == Voided()
    assert (gateway.look_up("order-1"), charges(dynamodb)) == (Voided(), [])
    assert record(dynamodb, "key#order-1")["state"] == "VOIDED"


def test_a_charge_whose_answer_was_lost_was_captured_and_the_void_says_so(gateway, dynamodb):
    for _ in range(3):
        with pytest.raises(GatewayUnavailable, match="went through"):
            gateway.charge("order-2", "tok_unanswered", EUROS)
    [charge] = charges(dynamodb)
    captured = Captured(charge["chargeKey"]["S"].removeprefix("charge#"))

    assert gateway.look_up("order-2") == captured
    # The capture settled the key first: the void changes nothing and answers with it.
    assert gateway.void("order-2") == captured
    assert [c["state"]["S"] for c in charges(dynamodb)] == ["CAPTURED"]


def test_a_void_never_hides_a_settled_outcome(gateway):
    assert gateway.charge("order-3", "tok_declined", EUROS) == Declined(DeclineReason.CARD_DECLINED)
    assert gateway.void("order-3") == Declined(DeclineReason.CARD_DECLINED)
    assert gateway.look_up("never-asked") is None
    assert gateway.void("never-asked") == Voided()  # a key nobody charged: voided before any attempt
