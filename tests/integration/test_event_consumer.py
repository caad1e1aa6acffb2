"""The consumer every worker is, against moto: what it logs for operators, what it remembers, what it refuses."""

import io
import json
import logging
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from aws_lambda_powertools import Logger
from saga_events import IntegrationEvent, new_event
from saga_events.consumer import EventConsumer, idempotent_by_its_writes
from saga_events.errors import PublishFailed

from tests.harness.cloud import Cloud, mocked_cloud
from tests.harness.lambda_events import LambdaContextStub, record_for, sqs_event, sqs_record

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics:UserWarning")

IDEMPOTENCY_TABLE = "shipping-idempotency"
FOURTEEN_DAYS = 14 * 24 * 3600


def captured(order_id: str) -> dict[str, Any]:
    return new_event(
        "payment.captured",
        {
            "orderId": order_id,
            "customerId": "cust-42",
            "paymentId": "ch_1",
            "amount": {"amount": 1250, "currency": "EUR"},
            "capturedAt": "2026-01-01T00:00:02Z",
        },
        source="saga.payment",
        correlation_id=order_id,
        causation_id=f"reserved-{order_id}",
    )


class StockNotYetCounted(RuntimeError):
    """A wait this worker declares: its cause has not arrived yet."""


class Worker:
    """An EventConsumer for payment.captured whose handler notes what it was given and logs a line."""

    def __init__(self, cloud: Cloud) -> None:
        self.cloud = cloud
        self.stream = io.StringIO()
        # A service name of its own: Powertools loggers of one name share their handlers.
        self.logger = Logger(service=f"shipping-{uuid.uuid4().hex}", logger_handler=logging.StreamHandler(self.stream))
        self.handled: list[IntegrationEvent] = []
        self.consumer = EventConsumer(
            self.logger,
            {("payment.captured", 1): self._book},
            IDEMPOTENCY_TABLE,
            cloud.dynamodb,
            retry_later=(StockNotYetCounted,),
        )

    def _book(self, event: IntegrationEvent) -> None:
        self.logger.info("booking a shipment")
        self.handled.append(event)

    def deliver(self, *records: dict[str, Any]) -> list[str]:
        response = self.consumer(sqs_event(*records), LambdaContextStub(function_name="shipping-worker"))
        return [failure["itemIdentifier"] for failure in response["batchItemFailures"]]

    def log(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines()]


@pytest.fixture
def worker(monkeypatch) -> Iterator[Worker]:
    with mocked_cloud(monkeypatch) as cloud:
        cloud.create_table(IDEMPOTENCY_TABLE, "id")
        yield Worker(cloud)


def test_each_log_line_names_the_event_it_is_about_and_only_that_one(worker):
    first, second = captured(str(uuid.uuid4())), captured(str(uuid.uuid4()))
    invalid = sqs_record("not json")

    assert worker.deliver(record_for(first), invalid, record_for(second)) == [invalid["messageId"]]

    about = [
        (line["message"], line.get("correlation_id"), line.get("event_type"), line.get("event_id"))
        for line in worker.log()
    ]
    assert about == [
        ("handling event", first["correlationid"], "payment.captured", first["id"]),
        ("booking a shipment", first["correlationid"], "payment.captured", first["id"]),
        ("rejected invalid event", None, None, None),
        ("handling event", second["correlationid"], "payment.captured", second["id"]),
        ("booking a shipment", second["correlationid"], "payment.captured", second["id"]),
    ]


def test_a_rejected_event_is_logged_as_an_error_with_the_message_and_the_reason(worker):
    invalid = sqs_record('{"detail-type": "payment.captured"}')

    assert worker.deliver(invalid) == [invalid["messageId"]]

    [rejected] = worker.log()
    assert rejected["level"] == "ERROR"
    assert rejected["message"] == "rejected invalid event"
    assert rejected["message_id"] == invalid["messageId"]
    assert rejected["reason"] == "SQS message body is not an EventBridge event: no object 'detail'"
    assert worker.handled == []


def test_an_event_the_worker_has_no_handler_for_is_refused_unhandled(worker):
    refunded = new_event(
        "payment.refunded",
        {
            "orderId": str(uuid.uuid4()),
            "customerId": "cust-42",
            "paymentId": "ch_1",
            "refundId": "re_1",
            "amount": {"amount": 1250, "currency": "EUR"},
            "refundedAt": "2026-01-01T00:00:03Z",
        },
        source="saga.payment",
        correlation_id="order-1",
        causation_id="cancelled-1",
    )
    record = record_for(refunded)

    # The forwarding rule let through an event the catalog does not give this context: dead-letter it.
    assert worker.deliver(record) == [record["messageId"]]
    assert worker.handled == []


def test_the_handler_gets_the_event_as_received(worker):
    event = captured(str(uuid.uuid4()))

    assert worker.deliver(record_for(event)) == []

    [handled] = worker.handled
    assert handled == IntegrationEvent.from_cloudevent(event)


def test_a_redelivery_is_recognised_for_fourteen_days(worker):
    event = captured(str(uuid.uuid4()))
    before = time.time()

    assert worker.deliver(record_for(event)) == []
    assert worker.deliver(record_for(event)) == []  # SQS delivers the same event again

    assert len(worker.handled) == 1
    [remembered] = worker.cloud.items(IDEMPOTENCY_TABLE)
    assert remembered["status"]["S"] == "COMPLETED"
    # As long as SQS may hold a message, so a redrive from the DLQ days later is recognised too.
    assert before + FOURTEEN_DAYS - 5 <= int(remembered["expiration"]["N"]) <= time.time() + FOURTEEN_DAYS + 5


def test_an_event_published_again_by_a_retried_handler_is_handled_once(worker):
    # A retried producer builds the event again: the same derived id, a new time.
    event = captured(str(uuid.uuid4()))
    again = {**event, "time": "2030-01-01T00:00:00Z"}

    assert worker.deliver(record_for(event), record_for(again)) == []

    assert len(worker.handled) == 1


def test_a_redelivery_while_the_first_is_in_progress_is_refused_until_the_function_would_time_out(worker):
    event = captured(str(uuid.uuid4()))
    started = time.time()

    def redelivered_meanwhile(_: IntegrationEvent) -> None:
        # What a second worker finds while this one is still handling the event.
        [in_progress] = worker.cloud.items(IDEMPOTENCY_TABLE)
        remaining_ms = LambdaContextStub().get_remaining_time_in_millis()
        expires_ms = int(in_progress["in_progress_expiration"]["N"])
        assert started * 1000 + remaining_ms - 5000 <= expires_ms <= time.time() * 1000 + remaining_ms + 5000
        refused.extend(second_worker.deliver(record_for(event)))

    refused: list[str] = []
    second_worker = Worker(worker.cloud)
    worker.consumer.handlers[("payment.captured", 1)] = redelivered_meanwhile

    assert worker.deliver(record_for(event)) == []
    assert len(refused) == 1
    assert second_worker.handled == []


def _failing_with(worker: Worker, error: Exception) -> None:
    def fail(_: IntegrationEvent) -> None:
        raise error

    worker.consumer.handlers[("payment.captured", 1)] = fail


def test_a_wait_the_worker_declares_is_logged_as_retry_later_not_as_an_error(worker):
    record = record_for(captured(str(uuid.uuid4())))
    _failing_with(worker, StockNotYetCounted("the stock count has not arrived"))

    assert worker.deliver(record) == [record["messageId"]]

    [_, waiting] = worker.log()
    assert (waiting["level"], waiting["message"], waiting["message_id"]) == ("INFO", "retry later", record["messageId"])
    assert waiting["reason"] == "StockNotYetCounted: the stock count has not arrived"
    assert "exception" not in waiting


def test_a_publish_refused_by_eventbridge_is_a_wait_for_every_worker(worker):
    record = record_for(captured(str(uuid.uuid4())))
    _failing_with(worker, PublishFailed("1 of 1 entries failed"))

    assert worker.deliver(record) == [record["messageId"]]

    assert [line["message"] for line in worker.log()] == ["handling event", "retry later"]


def test_a_failure_nobody_declared_is_logged_as_an_error_with_its_traceback(worker):
    record = record_for(captured(str(uuid.uuid4())))
    _failing_with(worker, KeyError("shipmentId"))

    assert worker.deliver(record) == [record["messageId"]]

    [_, failed] = worker.log()
    assert (failed["level"], failed["message"]) == ("ERROR", "failed to handle event")
    assert failed["message_id"] == record["messageId"]
    assert "KeyError: 'shipmentId'" in failed["exception"]


def test_a_handler_idempotent_by_its_own_writes_keeps_no_idempotency_record(worker):
    # Each run reaches the handler: its conditional writes, not a record, make the repeat harmless.
    @idempotent_by_its_writes
    def book(event: IntegrationEvent) -> None:
        worker._book(event)

    worker.consumer.handlers[("payment.captured", 1)] = book
    event = captured(str(uuid.uuid4()))

    assert worker.deliver(record_for(event)) == []
    assert worker.deliver(record_for(event)) == []

    assert len(worker.handled) == 2
    assert worker.cloud.items(IDEMPOTENCY_TABLE) == []
