"""Functions scale out as Lambda scales them: instances (processes) on demand, up to the limits the
program sets, each with its own cold start, replaced when one dies."""

import json
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest

from saga_client.target import eventually

# saga-mini's slow-mapping: ScalingConfig.MaximumConcurrency from its Pulumi.dev.yaml.
SLOW_MAXIMUM_CONCURRENCY = 3
# Every saga-mini function's timeout.
FUNCTION_TIMEOUT_SECONDS = 10


def _send(sqs, url, *bodies):
    sqs.send_message_batch(
        QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": json.dumps(b)} for i, b in enumerate(bodies)]
    )


def _sleeper(phase, run):
    return lambda m: m.get("source") == "sleeper" and m["phase"] == phase and m["id"].startswith(run)


def _most_at_once(intervals):
    """The largest number of (start, end) intervals that overlap at one moment."""
    edges = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    running = most = 0
    for _, step in edges:
        running += step
        most = max(most, running)
    return most


def _request(url, timeout=15):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_a_queue_mapping_runs_its_maximum_concurrency_of_batches_at_once_and_never_more(cloud, sqs, queues, mailbox):
    run = uuid.uuid4().hex
    _send(sqs, queues["slow"], *({"id": f"{run}-{i}", "sleep": 1.5} for i in range(7)))

    finished = mailbox("results").wait_for(_sleeper("finished", run), count=7, timeout=45)

    assert _most_at_once([(m["started"], m["finished"]) for m in finished]) == SLOW_MAXIMUM_CONCURRENCY
    # Each batch in flight had an instance of its own: a process that imported the handler itself.
    instances = {(m["instance"], m["pid"]) for m in finished}
    assert len(instances) == len({pid for _, pid in instances}) == SLOW_MAXIMUM_CONCURRENCY
    assert cloud.functions.stats()["sleeper"]["peak_busy"] == SLOW_MAXIMUM_CONCURRENCY


def test_a_killed_instance_is_replaced_and_its_batch_retried(cloud, sqs, queues, mailbox):
    results = mailbox("results")
    run = uuid.uuid4().hex
    _send(sqs, queues["slow"], {"id": run, "sleep": 3})
    [first] = results.wait_for(_sleeper("started", run), timeout=20)
    before = cloud.functions.stats()["sleeper"]
    instances_before = {m["instance"] for m in results.seen if m.get("source") == "sleeper"}

    assert cloud.functions.kill_instance("sleeper")
    killed_at = time.time()

    retry = results.wait_for(_sleeper("started", run), count=2, timeout=40)[1]
    results.wait_for(_sleeper("finished", run), timeout=20)
    assert retry["pid"] != first["pid"]
    assert first["pid"] not in cloud.functions.process_ids().values()
    assert retry["receiveCount"] == "2"
    # Not before the killed invocation's own deadline (what it started may be held until then, as
    # Powertools' in-progress idempotency records are), yet long before the queue's 60 s visibility.
    assert retry["at"] >= first["at"] + FUNCTION_TIMEOUT_SECONDS - 1
    assert retry["at"] - killed_at < 30
    assert cloud.functions.stats()["sleeper"]["deaths"] == before["deaths"] + 1

    # Capacity comes back on demand: a full set of batches runs at once again, one of them on a
    # new instance with its own cold start.
    again = uuid.uuid4().hex
    _send(sqs, queues["slow"], *({"id": f"{again}-{i}", "sleep": 3} for i in range(SLOW_MAXIMUM_CONCURRENCY)))
    finished = results.wait_for(_sleeper("finished", again), count=SLOW_MAXIMUM_CONCURRENCY, timeout=30)
    assert _most_at_once([(m["started"], m["finished"]) for m in finished]) == SLOW_MAXIMUM_CONCURRENCY
    assert {m["instance"] for m in finished} - instances_before
    assert first["instance"] not in {m["instance"] for m in finished}


def test_kill_instance_answers_false_when_no_instance_is_busy(cloud):
    assert cloud.functions.kill_instance("streamer") is False


def test_a_disabled_mapping_takes_no_batch_until_enabled_again(cloud, sqs, queues, mailbox):
    results = mailbox("results")
    run = uuid.uuid4().hex
    cloud.functions.set_enabled("sleeper", False)
    try:
        _send(sqs, queues["slow"], {"id": run, "sleep": 0})
        results.settle(2)
        assert not [m for m in results.seen if _sleeper("started", run)(m)]
    finally:
        cloud.functions.set_enabled("sleeper", True)
    results.wait_for(_sleeper("finished", run), timeout=15)


def test_the_api_function_beyond_its_reserved_concurrency_is_throttled(cloud):
    api = cloud.deployment.function("api")
    url = cloud.outputs["apiUrl"]
    lambda_client = boto3.client(
        "lambda",
        endpoint_url=cloud.functions.lambda_endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    with ThreadPoolExecutor(2) as callers:
        # Reserved concurrency 2: two slow requests take every instance the function may have.
        # Long enough that a loaded machine still refuses the third call while both are busy.
        slow = [callers.submit(_request, url + "sleep/8") for _ in range(2)]
        eventually(lambda: cloud.functions.stats()["api"]["busy"] == 2 or None, timeout=15, interval=0.05)

        with pytest.raises(lambda_client.exceptions.TooManyRequestsException) as refused:
            lambda_client.invoke(FunctionName=api.name, Payload=b"{}")
        assert refused.value.response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
        assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
        # API Gateway treats an invocation Lambda refused as an internal error.
        assert _request(url + "orders/1") == (500, {"message": "Internal Server Error"})

        assert [call.result() for call in slow] == [(200, {"slept": 8.0})] * 2
    assert _request(url + "orders/1")[0] == 200


def test_past_its_integration_timeout_the_api_answers_503_while_the_function_finishes(cloud, mailbox):
    run = uuid.uuid4().hex
    asked = time.monotonic()

    # The impatient integration gives up after one second; the function sleeps for two.
    answer = _request(cloud.outputs["apiUrl"] + f"slow/2?id={run}")

    assert answer == (503, {"message": "Service Unavailable"})
    assert time.monotonic() - asked < 1.9
    mailbox("results").wait_for(lambda m: m.get("source") == "api" and m.get("id") == run, timeout=15)
