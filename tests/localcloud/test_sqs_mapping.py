"""SQS event source mapping: partial batch responses and the redrive to the DLQ."""

import json
import uuid


def _send(sqs, queues, *bodies):
    sqs.send_message_batch(
        QueueUrl=queues["work"],
        Entries=[{"Id": str(i), "MessageBody": json.dumps(b)} for i, b in enumerate(bodies)],
    )


def test_partial_batch_failure_deletes_only_the_successes(sqs, queues, mailbox):
    run = uuid.uuid4().hex
    ok_ids = [f"{run}-ok-{i}" for i in range(3)]
    _send(sqs, queues, *({"id": i} for i in ok_ids), {"id": f"{run}-bad", "fail": True})

    results = mailbox("results")
    results.wait_for(lambda m: m.get("id", "").startswith(f"{run}-ok"), count=3)
    # The failed message is retried, not lost: it reaches the DLQ once receives run out.
    mailbox("dlq").wait_for(lambda m: m["id"] == f"{run}-bad", timeout=20)
    results.settle(1)

    processed = [m["id"] for m in results.seen if m.get("id", "").startswith(run)]
    assert sorted(processed) == ok_ids  # each success exactly once: it was deleted
    assert all(m["function"].startswith("worker-") for m in results.seen if m.get("id") in ok_ids)


def test_always_failing_message_ends_in_the_dlq_after_max_receive_count(sqs, queues, mailbox):
    bad = f"{uuid.uuid4().hex}-always-bad"
    _send(sqs, queues, {"id": bad, "fail": True})

    [dead] = mailbox("dlq").wait_for(lambda m: m["id"] == bad, timeout=20)

    # maxReceiveCount is 2 in Pulumi.dev.yaml: two failed deliveries, then the DLQ.
    assert int(dead["_attributes"]["ApproximateReceiveCount"]) >= 2
    attributes = sqs.get_queue_attributes(
        QueueUrl=queues["work"],
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    assert attributes == {
        "ApproximateNumberOfMessages": "0",
        "ApproximateNumberOfMessagesNotVisible": "0",
    }
