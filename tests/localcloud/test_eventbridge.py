"""EventBridge behaviour the saga relies on: the full envelope and the one-hop limit."""

import json
import uuid

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel

from localcloud.emulator.clients import client
from localcloud.emulator.identity import ACCOUNT_ID


def _publish(cloud, marker: str) -> None:
    events = client("events", cloud.endpoint_url)
    response = events.put_events(
        Entries=[
            {
                "EventBusName": cloud.outputs["globalBusName"],
                "Source": "test.hops",
                "DetailType": "hop.tested",
                "Detail": json.dumps({"marker": marker}),
            }
        ]
    )
    assert response["FailedEntryCount"] == 0


def test_delivered_envelope_carries_the_account(cloud, mailbox):
    marker = uuid.uuid4().hex
    _publish(cloud, marker)

    [envelope] = mailbox("envelope").wait_for(lambda m: m.get("detail", {}).get("marker") == marker)

    assert envelope["account"] == ACCOUNT_ID
    del envelope["_attributes"]
    parsed = EventBridgeModel.model_validate(envelope)
    assert parsed.detail_type == "hop.tested"
    assert parsed.source == "test.hops"


def test_first_bus_hop_is_delivered_but_a_second_is_refused(cloud, mailbox):
    marker = uuid.uuid4().hex
    _publish(cloud, marker)

    [forwarded] = mailbox("private").wait_for(lambda m: m["detail"]["marker"] == marker)
    assert forwarded["account"] == ACCOUNT_ID
    # The hop mark lives in the emulator, never in the delivered envelope.
    assert set(forwarded) - {"_attributes"} == {
        "version",
        "id",
        "detail-type",
        "source",
        "account",
        "time",
        "region",
        "resources",
        "detail",
    }

    third = mailbox("third")
    third.settle(1.5)
    assert [m for m in third.seen if m["detail"]["marker"] == marker] == []
