"""The event library's promises to the contexts that use it, through its public functions.

Its refusals are read by people: an InvalidEvent's text is the reason a dead-lettered message
is logged with, and a PublishFailed's is what the retried message's log says. So each names
what is wrong and where.
"""

import json
from unittest.mock import MagicMock

import pytest
from saga_events import (
    EventPublisher,
    IntegrationEvent,
    InvalidEvent,
    PublishFailed,
    event_from_sqs_record,
    new_event,
)
from saga_events.validation import validate_event

from contracts import dataschema_uri

ORDER_ID = "7c9e6679-7425-40de-944b-e07fc1f90ae7"


def reserved(**data_overrides) -> dict:
    data = {"orderId": ORDER_ID, "lines": [{"sku": "MUG", "quantity": 1}], "reservedAt": "2026-01-01T00:00:00Z"}
    data.update(data_overrides)
    return new_event("inventory.reserved", data, source="saga.inventory", correlation_id=ORDER_ID, causation_id="c-1")


def body_of(event: dict, detail_type: str | None = None) -> str:
    return json.dumps({"detail-type": detail_type or event["type"], "source": event["source"], "detail": event})


# --- building --------------------------------------------------------------------------------------


def test_events_of_different_types_from_one_cause_have_different_ids():
    # Consumers drop an event whose source and id they have seen: distinct events need distinct ids.
    cancelled = new_event(
        "order.cancelled",
        {"orderId": ORDER_ID, "customerId": "c", "reason": "OUT_OF_STOCK", "cancelledAt": "2026-01-01T00:00:00Z"},
        source="saga.order",
        correlation_id=ORDER_ID,
        causation_id="c-1",
    )
    assert cancelled["id"] != reserved()["id"]


def test_one_event_published_in_two_major_versions_side_by_side_has_an_id_for_each():
    data = {"orderId": ORDER_ID, "lines": [{"sku": "MUG", "quantity": 1}], "reservedAt": "2026-01-01T00:00:00Z"}
    ids = {
        new_event(
            "inventory.reserved", data, source="saga.inventory", correlation_id=ORDER_ID, causation_id="c-1", version=v
        )["id"]
        for v in (1, 2)
    }
    assert len(ids) == 2


def test_a_received_event_turns_back_into_the_cloudevent_it_was():
    event = reserved()
    received = event_from_sqs_record(body_of(event))

    assert received.causation_id == "c-1" and received.correlation_id == ORDER_ID
    assert received.as_cloudevent() == event
    assert IntegrationEvent.from_cloudevent(received.as_cloudevent()) == received


# --- validating ------------------------------------------------------------------------------------


def test_a_broken_field_is_named_by_its_path_and_why():
    with pytest.raises(InvalidEvent) as refused:
        validate_event(reserved(lines=[{"sku": "MUG", "quantity": 0}]))
    assert str(refused.value).startswith("inventory.reserved data invalid at lines/0/quantity: 0 is less than")


def test_a_missing_field_is_named_at_the_root_of_the_data():
    event = reserved()
    del event["data"]["reservedAt"]
    with pytest.raises(InvalidEvent) as refused:
        validate_event(event)
    # Ours: what was checked and where; the validator's: why (its wording, its quotes).
    assert str(refused.value).startswith("inventory.reserved data invalid at (root): ")
    assert "reservedAt" in str(refused.value) and "required" in str(refused.value)


def test_a_broken_envelope_is_named_as_the_envelope():
    event = reserved()
    del event["correlationid"]
    with pytest.raises(InvalidEvent) as refused:
        validate_event(event)
    assert str(refused.value).startswith("envelope invalid at (root): ")
    assert "correlationid" in str(refused.value) and "required" in str(refused.value)


def test_a_broken_envelope_field_is_named_by_its_path():
    with pytest.raises(InvalidEvent) as refused:
        validate_event({**reserved(), "time": "yesterday"})
    assert str(refused.value).startswith("envelope invalid at time: ")


def test_the_envelope_is_named_before_a_schema_nobody_released():
    event = {**reserved(), "time": "yesterday", "dataschema": dataschema_uri("inventory.reserved", 9)}
    with pytest.raises(InvalidEvent) as refused:
        validate_event(event)
    assert str(refused.value).startswith("envelope invalid at time: ")


def test_of_two_flaws_the_more_general_is_named():
    event = reserved(lines=[{"sku": "MUG", "quantity": 0}])
    del event["data"]["reservedAt"]
    with pytest.raises(InvalidEvent) as refused:
        validate_event(event)
    assert str(refused.value).startswith("inventory.reserved data invalid at (root): ")


@pytest.mark.parametrize("dataschema", [["a", "list"], {"an": "object"}, 7])
def test_a_dataschema_that_is_not_a_uri_is_refused_not_crashed_on(dataschema):
    with pytest.raises(InvalidEvent):
        event_from_sqs_record(body_of({**reserved(), "dataschema": dataschema}))


def test_a_time_that_is_not_a_time_is_refused():
    with pytest.raises(InvalidEvent, match="reservedAt"):
        validate_event(reserved(reservedAt="yesterday"))


def test_an_event_naming_a_schema_nobody_released_is_refused():
    event = reserved()
    event["dataschema"] = dataschema_uri("inventory.reserved", 9)
    with pytest.raises(InvalidEvent) as refused:
        validate_event(event)
    assert str(refused.value) == f"inventory.reserved: no schema is known for {event['dataschema']}"


def test_an_event_claiming_another_types_schema_is_refused():
    event = reserved()
    event["dataschema"] = dataschema_uri("order.placed", 3)
    with pytest.raises(InvalidEvent) as refused:
        validate_event(event)
    assert str(refused.value) == f"inventory.reserved: dataschema {event['dataschema']} is another type's"


# --- receiving -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("not json", "SQS message body is not JSON: "),
        ("[1]", "SQS message body is not a JSON object"),
        ('{"detail": "x"}', "SQS message body is not an EventBridge event: no object 'detail'"),
    ],
)
def test_the_receiver_says_what_a_message_is_instead_of_an_event(body, reason):
    with pytest.raises(InvalidEvent) as refused:
        event_from_sqs_record(body)
    assert str(refused.value).startswith(reason)


def test_a_lying_detail_type_is_named_with_the_events_type():
    with pytest.raises(InvalidEvent) as refused:
        event_from_sqs_record(body_of(reserved(), detail_type="order.placed"))
    assert str(refused.value) == (
        "EventBridge detail-type 'order.placed' is not the CloudEvent type 'inventory.reserved'"
    )


# --- publishing ------------------------------------------------------------------------------------


def test_refused_entries_are_each_named_with_the_reason_eventbridge_gave():
    events = [reserved(), reserved(reservedAt="2026-01-02T00:00:00Z"), reserved(reservedAt="2026-01-03T00:00:00Z")]
    client = MagicMock()
    client.put_events.return_value = {
        "FailedEntryCount": 2,
        "Entries": [
            {"ErrorCode": "ThrottlingException", "ErrorMessage": "slow down"},
            {"EventId": "2"},
            {"ErrorCode": "InternalException"},
        ],
    }

    with pytest.raises(PublishFailed) as failed:
        EventPublisher(client, "global").publish(events)

    assert str(failed.value) == (
        f"EventBridge refused 2 event(s): inventory.reserved {events[0]['id']}: ThrottlingException slow down; "
        f"inventory.reserved {events[2]['id']}: InternalException None"
    )


def test_each_entry_carries_the_cloudevent_to_the_bus_with_its_source_and_type():
    client = MagicMock()
    client.put_events.return_value = {"FailedEntryCount": 0, "Entries": [{"EventId": "1"}]}
    event = reserved()

    EventPublisher(client, "saga-global").publish([event])

    [entry] = client.put_events.call_args.kwargs["Entries"]
    assert entry == {
        "EventBusName": "saga-global",
        "Source": "saga.inventory",
        "DetailType": "inventory.reserved",
        "Detail": entry["Detail"],
        "Resources": [],
    }
    assert json.loads(entry["Detail"]) == event
