"""Dead-letter redrive behind SQS's own API (StartMessageMoveTask and friends), as AWS documents it,
in both protocols SQS speaks: JSON (boto3's today) and the query protocol."""

import json
import threading
import time
import urllib.error
import urllib.request
import uuid

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from localcloud.emulator.clients import client
from localcloud.emulator.identity import DUMMY_CREDENTIALS, REGION

_CREDENTIALS = {
    "aws_access_key_id": DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
    "aws_secret_access_key": DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
}


def _arn(sqs, url):
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def _source_and_dead_letters(sqs, max_receive_count=1):
    name = uuid.uuid4().hex[:10]
    dead_letters = sqs.create_queue(QueueName=f"dlq-{name}")["QueueUrl"]
    redrive = json.dumps({"deadLetterTargetArn": _arn(sqs, dead_letters), "maxReceiveCount": max_receive_count})
    source = sqs.create_queue(QueueName=f"src-{name}", Attributes={"RedrivePolicy": redrive})["QueueUrl"]
    return source, dead_letters


def _dead_letter(sqs, source, bodies, attributes=None):
    """Send each body, receive it once without deleting it, and let the next receive move it."""
    for body in bodies:
        sqs.send_message(QueueUrl=source, MessageBody=body, MessageAttributes=attributes or {})
    for _ in range(len(bodies)):
        sqs.receive_message(QueueUrl=source, MaxNumberOfMessages=10, VisibilityTimeout=0)
    sqs.receive_message(QueueUrl=source, MaxNumberOfMessages=10, VisibilityTimeout=0)


def _peek(sqs, url):
    return sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0, AttributeNames=["All"], MessageAttributeNames=["All"]
    ).get("Messages", [])


def _settled(sqs, source_arn, timeout=10):
    deadline = time.monotonic() + timeout
    while True:
        [task] = sqs.list_message_move_tasks(SourceArn=source_arn)["Results"]
        if task["Status"] not in ("RUNNING", "CANCELLING") or time.monotonic() > deadline:
            return task
        time.sleep(0.1)


@pytest.fixture(scope="module")
def sqs(bare_moto):
    return client("sqs", bare_moto)


def _query(endpoint_url, action, **parameters):
    """One request in SQS's query protocol (form-encoded, XML answer), as older SDKs send it, signed."""
    form = {"Action": action, "Version": "2012-11-05", **parameters}
    request = AWSRequest(method="POST", url=endpoint_url + "/", data=form)
    request.headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
    SigV4Auth(Credentials(*_CREDENTIALS.values()), "sqs", REGION).add_auth(request)
    prepared = request.prepare()
    answer = urllib.request.Request(prepared.url, data=prepared.body.encode(), headers=dict(prepared.headers))
    try:
        with urllib.request.urlopen(answer, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_a_dead_lettered_message_records_the_queue_it_came_from(sqs):
    source, dead_letters = _source_and_dead_letters(sqs)
    _dead_letter(sqs, source, ["poison"])

    [message] = _peek(sqs, dead_letters)

    assert message["Attributes"]["DeadLetterQueueSourceArn"] == _arn(sqs, source)


def test_redrive_without_a_destination_returns_each_message_to_its_source(sqs):
    source, dead_letters = _source_and_dead_letters(sqs)
    attributes = {"kind": {"DataType": "String", "StringValue": "test"}}
    _dead_letter(sqs, source, ["one", "two", "three"], attributes)
    dlq_arn = _arn(sqs, dead_letters)

    handle = sqs.start_message_move_task(SourceArn=dlq_arn)["TaskHandle"]
    task = _settled(sqs, dlq_arn)

    assert handle
    assert task["Status"] == "COMPLETED"
    assert (task["ApproximateNumberOfMessagesToMove"], task["ApproximateNumberOfMessagesMoved"]) == (3, 3)
    assert "TaskHandle" not in task and "DestinationArn" not in task
    assert _peek(sqs, dead_letters) == []
    returned = _peek(sqs, source)
    assert sorted(m["Body"] for m in returned) == ["one", "three", "two"]
    # A new message in its source: received for the first time, with its message attributes.
    assert {m["Attributes"]["ApproximateReceiveCount"] for m in returned} == {"1"}
    assert all(m["MessageAttributes"]["kind"]["StringValue"] == "test" for m in returned)


def test_redrive_to_a_named_destination_at_a_fixed_rate(sqs):
    source, dead_letters = _source_and_dead_letters(sqs)
    elsewhere = sqs.create_queue(QueueName=f"elsewhere-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    _dead_letter(sqs, source, ["a", "b", "c", "d"])
    dlq_arn, elsewhere_arn = _arn(sqs, dead_letters), _arn(sqs, elsewhere)

    started = time.monotonic()
    sqs.start_message_move_task(SourceArn=dlq_arn, DestinationArn=elsewhere_arn, MaxNumberOfMessagesPerSecond=4)
    running = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"][0]
    task = _settled(sqs, dlq_arn)

    assert running["Status"] == "RUNNING" and running["TaskHandle"]
    assert time.monotonic() - started >= 0.75  # four messages at four a second
    assert (task["Status"], task["DestinationArn"], task["MaxNumberOfMessagesPerSecond"]) == (
        "COMPLETED",
        elsewhere_arn,
        4,
    )
    assert sorted(m["Body"] for m in _peek(sqs, elsewhere)) == ["a", "b", "c", "d"]
    assert _peek(sqs, source) == []


def test_only_a_dead_letter_queue_can_be_a_source(sqs):
    source, _ = _source_and_dead_letters(sqs)
    with pytest.raises(ClientError) as refused:
        sqs.start_message_move_task(SourceArn=_arn(sqs, source))
    assert refused.value.response["Error"]["Code"] == "InvalidParameterValue"

    with pytest.raises(sqs.exceptions.ResourceNotFoundException):
        sqs.start_message_move_task(SourceArn=_arn(sqs, source).replace("src-", "nothing-"))


def test_the_rate_is_at_most_500_a_second(sqs):
    _, dead_letters = _source_and_dead_letters(sqs)
    with pytest.raises(ClientError) as refused:
        sqs.start_message_move_task(SourceArn=_arn(sqs, dead_letters), MaxNumberOfMessagesPerSecond=501)
    assert refused.value.response["Error"]["Code"] == "InvalidParameterValue"


def test_one_active_task_per_source_and_a_cancel_stops_it(sqs):
    source, dead_letters = _source_and_dead_letters(sqs)
    _dead_letter(sqs, source, [f"m{i}" for i in range(6)])
    dlq_arn = _arn(sqs, dead_letters)
    handle = sqs.start_message_move_task(SourceArn=dlq_arn, MaxNumberOfMessagesPerSecond=2)["TaskHandle"]

    with pytest.raises(sqs.exceptions.UnsupportedOperation):
        sqs.start_message_move_task(SourceArn=dlq_arn)
    moved = sqs.cancel_message_move_task(TaskHandle=handle)["ApproximateNumberOfMessagesMoved"]
    task = _settled(sqs, dlq_arn)

    assert task["Status"] == "CANCELLED"
    assert moved < 6
    assert len(_peek(sqs, source)) + len(_peek(sqs, dead_letters)) == 6  # nothing lost
    with pytest.raises(sqs.exceptions.ResourceNotFoundException):
        sqs.cancel_message_move_task(TaskHandle=handle)


def test_a_message_with_no_source_queue_fails_a_redrive_without_a_destination(sqs):
    # What EventBridge puts in a target's dead-letter queue was never in an SQS source queue.
    _, dead_letters = _source_and_dead_letters(sqs)
    sqs.send_message(QueueUrl=dead_letters, MessageBody="from a rule target")
    dlq_arn = _arn(sqs, dead_letters)

    sqs.start_message_move_task(SourceArn=dlq_arn)
    task = _settled(sqs, dlq_arn)

    assert task["Status"] == "FAILED"
    assert "DestinationArn" in task["FailureReason"]
    assert [m["Body"] for m in _peek(sqs, dead_letters)] == ["from a rule target"]


def test_tasks_are_listed_newest_first_one_by_default(sqs):
    source, dead_letters = _source_and_dead_letters(sqs)
    dlq_arn = _arn(sqs, dead_letters)
    for body in ("first", "second"):
        _dead_letter(sqs, source, [body])
        sqs.start_message_move_task(SourceArn=dlq_arn)
        _settled(sqs, dlq_arn)
        sqs.delete_message(QueueUrl=source, ReceiptHandle=_peek(sqs, source)[0]["ReceiptHandle"])

    assert len(sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"]) == 1
    both = sqs.list_message_move_tasks(SourceArn=dlq_arn, MaxResults=10)["Results"]
    assert len(both) == 2
    assert both[0]["StartedTimestamp"] >= both[1]["StartedTimestamp"]


def test_the_query_protocol_is_answered_too(sqs, bare_moto):
    source, dead_letters = _source_and_dead_letters(sqs)
    _dead_letter(sqs, source, ["by query"])
    dlq_arn = _arn(sqs, dead_letters)

    status, started = _query(bare_moto, "StartMessageMoveTask", SourceArn=dlq_arn)
    _settled(sqs, dlq_arn)
    listed_status, listed = _query(bare_moto, "ListMessageMoveTasks", SourceArn=dlq_arn)
    refused_status, refused = _query(bare_moto, "StartMessageMoveTask", SourceArn=_arn(sqs, source))

    assert status == 200 and "<TaskHandle>" in started, started
    assert listed_status == 200 and "<Status>COMPLETED</Status>" in listed, listed
    assert refused_status == 400 and "InvalidParameterValue" in refused, refused
    assert [m["Body"] for m in _peek(sqs, source)] == ["by query"]


def test_a_message_moved_by_a_long_poll_that_began_before_it_was_sent_records_its_source(sqs):
    # Workers long-poll all the time: the receive that dead-letters a message began before it was sent.
    # Two polls wait; one takes the message for a second, the other moves it once it is visible again.
    source, dead_letters = _source_and_dead_letters(sqs)
    polls = [
        threading.Thread(
            target=sqs.receive_message, kwargs={"QueueUrl": source, "WaitTimeSeconds": 4, "VisibilityTimeout": 1}
        )
        for _ in range(2)
    ]
    for poll in polls:
        poll.start()
    time.sleep(0.5)
    sqs.send_message(QueueUrl=source, MessageBody="late")
    for poll in polls:
        poll.join()

    [message] = _peek(sqs, dead_letters)

    assert message["Attributes"]["DeadLetterQueueSourceArn"] == _arn(sqs, source)
