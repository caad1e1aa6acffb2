"""An outgoing event that breaks its contract: raised before any network call, nothing
published, nothing changed, and the message reported failed so SQS retries it and then
dead-letters it (the redrive itself is proven in tests/localcloud and tests/e2e)."""

import loyalty.service as loyalty_service
import pytest
from loyalty.domain import LedgerEntry
from saga_events import InvalidEvent, new_event
from saga_events.validation import validate_event

from tests.harness.cloud import mocked_cloud
from tests.harness.declared_stack import declared_stack
from tests.harness.lambda_events import LambdaContextStub, record_for, sqs_event

ORDER_ID = "7c9e6679-7425-40de-944b-e07fc1f90ae7"


@pytest.fixture
def loyalty(monkeypatch):
    stack = declared_stack()
    worker = stack.worker("loyalty")
    with mocked_cloud(monkeypatch) as cloud:
        module = cloud.deploy(worker, stack, monkeypatch)
        yield cloud, module, [table.name for table in stack.tables_of(worker)]


def captured() -> dict:
    return new_event(
        "payment.captured",
        {
            "orderId": ORDER_ID,
            "customerId": "customer-ada",
            "paymentId": "ch_1",
            "amount": {"amount": 5000, "currency": "EUR"},
            "capturedAt": "2026-01-01T00:00:00Z",
        },
        source="saga.payment",
        correlation_id=ORDER_ID,
        causation_id="cause-1",
    )


def test_points_that_cannot_be_announced_are_neither_credited_nor_published(loyalty, monkeypatch):
    cloud, module, tables = loyalty
    # A defect in the rules that yields negative points: loyalty.points-awarded forbids them.
    # The rules and the check live in loyalty's service, which the worker calls.
    monkeypatch.setattr(loyalty_service, "award", lambda order_id, amount: LedgerEntry(order_id, "AWARD", -1))
    refusals = []

    def validate_and_note(event):
        try:
            validate_event(event)
        except InvalidEvent as error:
            refusals.append(str(error))
            raise

    monkeypatch.setattr(loyalty_service, "validate_event", validate_and_note)
    before = cloud.snapshot(tables)
    put_events = []
    monkeypatch.setattr(module.publisher._events, "put_events", lambda **kw: put_events.append(kw))
    record = record_for(captured())

    for attempt in range(3):  # every redelivery fails the same way, until the queue gives up
        response = module.handle(sqs_event(record), LambdaContextStub())
        assert response == {"batchItemFailures": [{"itemIdentifier": record["messageId"]}]}, attempt

    assert len(refusals) == 3
    assert "points" in refusals[0]
    assert put_events == []
    assert cloud.published() == []
    assert cloud.snapshot(tables) == before


def test_the_same_event_with_valid_points_goes_through(loyalty):
    cloud, module, _ = loyalty
    record = record_for(captured())

    assert module.handle(sqs_event(record), LambdaContextStub()) == {"batchItemFailures": []}
    [awarded] = cloud.published()
    assert awarded["type"] == "loyalty.points-awarded"
    assert awarded["data"]["points"] == 50
