"""The publish path: validate before PutEvents; publish nothing invalid; lose nothing refused."""

import json
from unittest.mock import MagicMock

import boto3
import pytest
from moto import mock_aws
from saga_events import (
    EventPublisher,
    InvalidEvent,
    PublishFailed,
    event_from_sqs_record,
    new_event,
)

ORDER_ID = "7c9e6679-7425-40de-944b-e07fc1f90ae7"


def reserved(**overrides):
    data = {
        "orderId": ORDER_ID,
        "lines": [{"sku": "MUG", "quantity": 1}],
        "reservedAt": "2026-01-01T00:00:00Z",
    }
    data.update(overrides)
    return new_event(
        "inventory.reserved",
        data,
        source="saga.inventory",
        correlation_id=ORDER_ID,
        causation_id="cause-1",
    )


@pytest.fixture
def aws(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        events, sqs = boto3.client("events"), boto3.client("sqs")
        events.create_event_bus(Name="global")
        queue = sqs.create_queue(QueueName="tap")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_rule(
            Name="all",
            EventBusName="global",
            EventPattern=json.dumps({"source": [{"prefix": "saga."}]}),
        )
        events.put_targets(Rule="all", EventBusName="global", Targets=[{"Id": "tap", "Arn": arn}])
        yield events, sqs, queue


def received(sqs, queue):
    return sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])


def test_a_valid_event_travels_as_a_cloudevent_in_the_detail(aws):
    events, sqs, queue = aws
    event = reserved()
    EventPublisher(events, "global").publish([event])
    [message] = received(sqs, queue)
    envelope = json.loads(message["Body"])
    assert envelope["source"] == "saga.inventory"
    assert envelope["detail-type"] == "inventory.reserved"
    assert envelope["detail"] == event
    assert event_from_sqs_record(message["Body"]).data == event["data"]


def test_an_invalid_event_raises_before_any_network_call():
    client = MagicMock()
    with pytest.raises(InvalidEvent, match="quantity"):
        EventPublisher(client, "global").publish([reserved(), reserved(lines=[{"sku": "MUG", "quantity": 0}])])
    client.put_events.assert_not_called()


def test_an_event_without_the_required_extensions_is_refused():
    event = reserved()
    del event["causationid"]
    with pytest.raises(InvalidEvent, match="causationid"):
        EventPublisher(MagicMock(), "global").publish([event])


def test_a_partial_putevents_failure_is_an_error_so_the_cause_is_retried():
    client = MagicMock()
    client.put_events.return_value = {
        "FailedEntryCount": 1,
        "Entries": [
            {"EventId": "1"},
            {"ErrorCode": "ThrottlingException", "ErrorMessage": "slow down"},
        ],
    }
    with pytest.raises(PublishFailed, match="ThrottlingException"):
        EventPublisher(client, "global").publish([reserved(), reserved(reservedAt="2026-01-02T00:00:00Z")])


def test_more_than_ten_events_go_out_in_batches_of_ten():
    client = MagicMock()
    client.put_events.return_value = {"FailedEntryCount": 0, "Entries": []}
    EventPublisher(client, "global").publish([reserved() for _ in range(23)])
    assert [len(call.kwargs["Entries"]) for call in client.put_events.call_args_list] == [10, 10, 3]


def test_the_same_cause_always_yields_the_same_event_id():
    assert reserved()["id"] == reserved()["id"]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("not json", "not JSON"),
        ("[1]", "not a JSON object"),
        ('{"detail-type": "x"}', "no object 'detail'"),
        (
            json.dumps({"detail-type": "inventory.reserved", "detail": {"type": "inventory.reserved"}}),
            "envelope",
        ),
    ],
)
def test_the_receiver_refuses_anything_but_a_valid_event(body, reason):
    with pytest.raises(InvalidEvent, match=reason):
        event_from_sqs_record(body)


def test_the_receiver_tolerates_unknown_fields():
    event = reserved()
    event["data"]["warehouse"] = "north"
    event["traceparent"] = "00-abc-def-01"
    body = json.dumps({"detail-type": event["type"], "source": event["source"], "detail": event})
    assert event_from_sqs_record(body).data["warehouse"] == "north"


def test_the_receiver_refuses_a_detail_type_that_lies_about_the_event():
    event = reserved()
    body = json.dumps({"detail-type": "order.placed", "detail": event})
    with pytest.raises(InvalidEvent, match="detail-type"):
        event_from_sqs_record(body)


# --- formats and schema ownership: checked on the way out and on the way in ---------------------

BAD_FORMATS = {
    "an envelope time that is no date-time": lambda e: e.update(time="yesterday at noon"),
    "a data timestamp that is no date-time": lambda e: e["data"].update(reservedAt="2026-13-45T99:00:00Z"),
    "an order id that is no uuid": lambda e: e["data"].update(orderId="order-42"),
}


def _with(flaw) -> dict:
    event = reserved()
    flaw(event)
    return event


@pytest.mark.parametrize("flaw", BAD_FORMATS)
def test_the_publisher_enforces_formats(flaw):
    client = MagicMock()
    with pytest.raises(InvalidEvent, match="is not a"):
        EventPublisher(client, "global").publish([_with(BAD_FORMATS[flaw])])
    client.put_events.assert_not_called()


@pytest.mark.parametrize("flaw", BAD_FORMATS)
def test_the_receiver_enforces_formats(flaw):
    event = _with(BAD_FORMATS[flaw])
    body = json.dumps({"detail-type": event["type"], "source": event["source"], "detail": event})
    with pytest.raises(InvalidEvent, match="is not a"):
        event_from_sqs_record(body)


def _released_data_under_the_reserved_type() -> dict:
    """inventory.reserved pointing at inventory.released's schema, with data valid for that
    schema: only the pairing of type and dataschema is wrong."""
    event = new_event(
        "inventory.released",
        {"orderId": ORDER_ID, "lines": [{"sku": "MUG", "quantity": 1}], "releasedAt": "2026-01-01T00:00:00Z"},
        source="saga.inventory",
        correlation_id=ORDER_ID,
        causation_id="cause-1",
    )
    return {**event, "type": "inventory.reserved"}


def test_the_publisher_refuses_a_dataschema_that_belongs_to_another_type():
    client = MagicMock()
    with pytest.raises(InvalidEvent, match="another type's"):
        EventPublisher(client, "global").publish([_released_data_under_the_reserved_type()])
    client.put_events.assert_not_called()


def test_the_receiver_refuses_a_dataschema_that_belongs_to_another_type():
    event = _released_data_under_the_reserved_type()
    body = json.dumps({"detail-type": event["type"], "source": event["source"], "detail": event})
    with pytest.raises(InvalidEvent, match="another type's"):
        event_from_sqs_record(body)
