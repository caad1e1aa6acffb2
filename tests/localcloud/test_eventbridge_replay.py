"""An archive replay re-delivers only its window's events, and only to the rules it names (FilterArns),
as StartReplay's API reference says; moto alone replays the whole archive to every rule."""

import json
import time
import uuid
from datetime import UTC, datetime, timedelta

from localcloud.emulator.clients import client


def _queue(sqs, name):
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def _markers(sqs, url):
    found = []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not messages:
            return sorted(found)
        for message in messages:
            envelope = json.loads(message["Body"])
            found.append((envelope["detail"]["marker"], envelope.get("replay-name")))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def _replayed(events, name, timeout=10):
    deadline = time.monotonic() + timeout
    while events.describe_replay(ReplayName=name)["State"] not in ("COMPLETED", "FAILED"):
        assert time.monotonic() < deadline
        time.sleep(0.1)


def test_a_replay_delivers_only_its_window_and_only_to_the_filtered_rule(bare_moto):
    events, sqs = client("events", bare_moto), client("sqs", bare_moto)
    name = uuid.uuid4().hex[:8]
    bus_arn = events.create_event_bus(Name=f"bus-{name}")["EventBusArn"]
    pattern = json.dumps({"source": ["test.replay"]})
    archive_arn = events.create_archive(ArchiveName=f"archive-{name}", EventSourceArn=bus_arn, EventPattern=pattern)[
        "ArchiveArn"
    ]
    rules, queues = {}, {}
    for rule in ("chosen", "other"):
        rules[rule] = events.put_rule(Name=f"{rule}-{name}", EventBusName=f"bus-{name}", EventPattern=pattern)[
            "RuleArn"
        ]
        queues[rule], queue_arn = _queue(sqs, f"{rule}-{name}")
        events.put_targets(Rule=f"{rule}-{name}", EventBusName=f"bus-{name}", Targets=[{"Id": "q", "Arn": queue_arn}])
    hour_ago = datetime.now(UTC) - timedelta(hours=1)
    at = {"early": hour_ago, "inside": hour_ago + timedelta(minutes=20), "late": hour_ago + timedelta(minutes=40)}
    for marker, when in at.items():
        events.put_events(
            Entries=[
                {
                    "EventBusName": f"bus-{name}",
                    "Source": "test.replay",
                    "DetailType": "replay.tested",
                    "Time": when,
                    "Detail": json.dumps({"marker": marker}),
                }
            ]
        )
    # What the events did when first published is not what this test is about.
    for url in queues.values():
        assert [marker for marker, _ in _markers(sqs, url)] == ["early", "inside", "late"]

    events.start_replay(
        ReplayName=f"replay-{name}",
        EventSourceArn=archive_arn,
        EventStartTime=at["inside"] - timedelta(minutes=5),
        EventEndTime=at["inside"] + timedelta(minutes=5),
        Destination={"Arn": bus_arn, "FilterArns": [rules["chosen"]]},
    )
    _replayed(events, f"replay-{name}")

    assert _markers(sqs, queues["chosen"]) == [("inside", f"replay-{name}")]
    assert _markers(sqs, queues["other"]) == []

    # Without FilterArns every rule of the bus gets the window's events.
    events.start_replay(
        ReplayName=f"everyone-{name}",
        EventSourceArn=archive_arn,
        EventStartTime=at["early"] - timedelta(minutes=1),
        EventEndTime=at["late"],
        Destination={"Arn": bus_arn},
    )
    _replayed(events, f"everyone-{name}")

    for url in queues.values():
        assert [marker for marker, _ in _markers(sqs, url)] == ["early", "inside"]
