"""Lambda's control plane for the embedded cloud's functions and mappings, through boto3 on the
moto endpoint (AWS_ENDPOINT_URL) as an operator's AWS CLI would use it: AWS's shapes, states and
errors, and updates that change how the pollers really deliver."""

import json
import uuid

import boto3
import pytest

from saga_client.target import LambdaWorkerSwitch, NoMappingToSwitch, eventually
from tests.localcloud.test_scaling import SLOW_MAXIMUM_CONCURRENCY, _most_at_once, _send, _sleeper


@pytest.fixture(scope="module")
def lambda_client(cloud):
    return _lambda(cloud.endpoint_url)


def _lambda(endpoint_url):
    return boto3.client(
        "lambda",
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _mapping_of(lambda_client, function_name):
    [mapping] = lambda_client.list_event_source_mappings(FunctionName=function_name)["EventSourceMappings"]
    return mapping


def _at_rest(lambda_client, mapping_id):
    def state():
        found = lambda_client.get_event_source_mapping(UUID=mapping_id)["State"]
        return found if found in ("Enabled", "Disabled") else None

    return eventually(state, timeout=30, interval=0.1)


def _update(lambda_client, mapping_id, **changes):
    answer = lambda_client.update_event_source_mapping(UUID=mapping_id, **changes)
    return answer, _at_rest(lambda_client, mapping_id)


def _shape(answer):
    """The answer's fields, without boto3's ResponseMetadata."""
    return {key: value for key, value in answer.items() if key != "ResponseMetadata"}


def _error(raised):
    response = raised.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_list_and_get_functions_answer_with_lambdas_shapes(cloud, lambda_client):
    deployed = {f.name: f for f in cloud.deployment.functions}

    pages = lambda_client.get_paginator("list_functions").paginate(PaginationConfig={"PageSize": 2})
    listed = [function for page in pages for function in page["Functions"]]

    assert sorted(f["FunctionName"] for f in listed) == sorted(deployed)
    sleeper = cloud.deployment.function("sleeper")
    configuration = _shape(lambda_client.get_function_configuration(FunctionName=sleeper.name))
    assert configuration == next(f for f in listed if f["FunctionName"] == sleeper.name)
    assert {key: configuration[key] for key in ("FunctionArn", "Runtime", "Handler", "Timeout", "MemorySize")} == {
        "FunctionArn": sleeper.arn,
        "Runtime": "python3.11",
        "Handler": "sleeper.handle",
        "Timeout": 10,
        "MemorySize": 256,
    }
    assert configuration["Role"].startswith("arn:aws:iam::123456789012:role/")
    assert configuration["State"] == "Active" and configuration["Version"] == "$LATEST"
    assert set(configuration["Environment"]["Variables"]) == {"RESULTS_QUEUE_URL"}
    # By ARN too; the function with reserved concurrency says so.
    api = cloud.deployment.function("api")
    got = lambda_client.get_function(FunctionName=api.arn)
    assert got["Configuration"]["FunctionName"] == api.name
    assert got["Concurrency"] == {"ReservedConcurrentExecutions": 2}
    # Invoke goes to the host from the moto endpoint too; the host's own endpoint answers the same.
    assert lambda_client.invoke(FunctionName=sleeper.name, InvocationType="DryRun")["StatusCode"] == 204
    host = _lambda(cloud.functions.lambda_endpoint_url)
    assert _shape(host.get_function_configuration(FunctionName=sleeper.name)) == configuration


def test_an_unknown_function_or_mapping_is_resource_not_found(lambda_client):
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException) as function:
        lambda_client.get_function(FunctionName="no-such-function")
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException) as mapping:
        lambda_client.get_event_source_mapping(UUID=str(uuid.uuid4()))
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException) as update:
        lambda_client.update_event_source_mapping(UUID=str(uuid.uuid4()), Enabled=False)

    assert _error(function) == _error(mapping) == _error(update) == ("ResourceNotFoundException", 404)
    assert "no-such-function" in function.value.response["Error"]["Message"]


def test_operations_the_host_does_not_serve_are_motos_own(lambda_client):
    # The function host answers for the deployed functions; moto keeps the rest of Lambda's API.
    assert lambda_client.list_layers()["Layers"] == []


def test_mappings_are_listed_by_function_or_source_with_the_uuids_they_were_deployed_with(cloud, lambda_client):
    every = lambda_client.list_event_source_mappings()["EventSourceMappings"]
    assert sorted(m["UUID"] for m in every) == sorted(m.uuid for m in cloud.deployment.event_source_mappings)

    sleeper = cloud.deployment.function("sleeper")
    by_name = _mapping_of(lambda_client, sleeper.name)
    slow_arn = by_name["EventSourceArn"]
    assert slow_arn.endswith(":" + cloud.outputs["queues"]["slow"].rsplit("/", 1)[-1])
    assert lambda_client.list_event_source_mappings(FunctionName=sleeper.arn)["EventSourceMappings"] == [by_name]
    assert lambda_client.list_event_source_mappings(EventSourceArn=slow_arn)["EventSourceMappings"] == [by_name]
    assert _shape(lambda_client.get_event_source_mapping(UUID=by_name["UUID"])) == by_name
    assert {key: by_name[key] for key in ("FunctionArn", "BatchSize", "ScalingConfig", "State")} == {
        "FunctionArn": sleeper.arn,
        "BatchSize": 1,
        "ScalingConfig": {"MaximumConcurrency": SLOW_MAXIMUM_CONCURRENCY},
        "State": "Enabled",
    }
    stream = _mapping_of(lambda_client, cloud.deployment.function("streamer").name)
    assert stream["StartingPosition"] == "TRIM_HORIZON"
    assert json.loads(stream["FilterCriteria"]["Filters"][0]["Pattern"])["eventName"] == ["INSERT"]


def test_bad_values_are_refused_and_change_nothing(cloud, lambda_client):
    slow = _mapping_of(lambda_client, cloud.deployment.function("sleeper").name)
    stream = _mapping_of(lambda_client, cloud.deployment.function("streamer").name)
    refused = [
        (slow["UUID"], {"BatchSize": 20}),  # over 10 from a queue needs a batching window
        (slow["UUID"], {"BatchSize": 20000}),
        (slow["UUID"], {"MaximumBatchingWindowInSeconds": 301}),
        (slow["UUID"], {"ScalingConfig": {"MaximumConcurrency": 1001}}),
        (stream["UUID"], {"ScalingConfig": {"MaximumConcurrency": 5}}),  # SQS only
    ]
    for mapping_id, changes in refused:
        with pytest.raises(lambda_client.exceptions.InvalidParameterValueException) as raised:
            lambda_client.update_event_source_mapping(UUID=mapping_id, **changes)
        assert _error(raised) == ("InvalidParameterValueException", 400), changes

    assert _shape(lambda_client.get_event_source_mapping(UUID=slow["UUID"])) == slow
    assert _shape(lambda_client.get_event_source_mapping(UUID=stream["UUID"])) == stream


def test_a_paused_mapping_delivers_nothing_until_resumed_then_what_waited(cloud, lambda_client, sqs, queues, mailbox):
    results = mailbox("results")
    mapping_id = _mapping_of(lambda_client, cloud.deployment.function("sleeper").name)["UUID"]
    run = uuid.uuid4().hex
    _send(sqs, queues["slow"], {"id": f"{run}-long", "sleep": 4})
    results.wait_for(_sleeper("started", f"{run}-long"), timeout=20)

    paused = lambda_client.update_event_source_mapping(UUID=mapping_id, Enabled=False)
    try:
        # Disabling lasts while a batch is in flight; a change meanwhile is refused, as on AWS.
        assert paused["State"] == "Disabling"
        assert lambda_client.get_event_source_mapping(UUID=mapping_id)["State"] == "Disabling"
        with pytest.raises(lambda_client.exceptions.ResourceInUseException):
            lambda_client.update_event_source_mapping(UUID=mapping_id, BatchSize=2)
        assert _at_rest(lambda_client, mapping_id) == "Disabled"
        assert results.wait_for(_sleeper("finished", f"{run}-long"), timeout=1)

        _send(sqs, queues["slow"], {"id": f"{run}-waits", "sleep": 0})
        results.settle(3)
        assert not [m for m in results.seen if _sleeper("started", f"{run}-waits")(m)]
    finally:
        resumed, state = _update(lambda_client, mapping_id, Enabled=True)
    assert (resumed["State"], state) == ("Enabling", "Enabled")
    results.wait_for(_sleeper("finished", f"{run}-waits"), timeout=15)


def test_a_lower_maximum_concurrency_runs_fewer_batches_at_once(cloud, lambda_client, sqs, queues, mailbox):
    mapping_id = _mapping_of(lambda_client, cloud.deployment.function("sleeper").name)["UUID"]
    run = uuid.uuid4().hex

    updated, state = _update(lambda_client, mapping_id, ScalingConfig={"MaximumConcurrency": 2})
    try:
        assert (updated["State"], state, updated["ScalingConfig"]) == ("Updating", "Enabled", {"MaximumConcurrency": 2})
        _send(sqs, queues["slow"], *({"id": f"{run}-{i}", "sleep": 1.5} for i in range(6)))
        finished = mailbox("results").wait_for(_sleeper("finished", run), count=6, timeout=45)
    finally:
        _update(lambda_client, mapping_id, ScalingConfig={"MaximumConcurrency": SLOW_MAXIMUM_CONCURRENCY})

    assert _most_at_once([(m["started"], m["finished"]) for m in finished]) == 2


def test_a_larger_batch_size_hands_the_messages_over_together(cloud, lambda_client, sqs, queues, mailbox):
    mapping_id = _mapping_of(lambda_client, cloud.deployment.function("sleeper").name)["UUID"]
    run = uuid.uuid4().hex

    updated, _ = _update(lambda_client, mapping_id, BatchSize=5, MaximumBatchingWindowInSeconds=2)
    try:
        assert (updated["BatchSize"], updated["MaximumBatchingWindowInSeconds"]) == (5, 2)
        _send(sqs, queues["slow"], *({"id": f"{run}-{i}", "sleep": 0.3} for i in range(5)))
        finished = mailbox("results").wait_for(_sleeper("finished", run), count=5, timeout=30)
    finally:
        _update(lambda_client, mapping_id, BatchSize=1, MaximumBatchingWindowInSeconds=0)

    # One invocation with all five records: one instance ran them one after another (with batch
    # size 1 they would spread over the mapping's three concurrent batches).
    assert len({m["pid"] for m in finished}) == 1
    assert _most_at_once([(m["started"], m["finished"]) for m in finished]) == 1
    assert lambda_client.get_event_source_mapping(UUID=mapping_id)["LastProcessingResult"] == "OK"


def test_the_suites_worker_switch_pauses_through_the_api_and_refuses_a_function_without_mappings(cloud, lambda_client):
    switch = LambdaWorkerSwitch(lambda_client)
    sleeper = cloud.deployment.function("sleeper").name
    mapping_id = _mapping_of(lambda_client, sleeper)["UUID"]

    switch.set_enabled(sleeper, False)
    try:
        assert lambda_client.get_event_source_mapping(UUID=mapping_id)["State"] == "Disabled"
        # Pausing twice is no error; a function with no mapping to pause is.
        switch.set_enabled(sleeper, False)
        with pytest.raises(NoMappingToSwitch):
            switch.set_enabled(cloud.deployment.function("api").name, False)
    finally:
        switch.set_enabled(sleeper, True)
    assert lambda_client.get_event_source_mapping(UUID=mapping_id)["State"] == "Enabled"


def test_reserved_concurrency_zero_throttles_every_invoke_until_deleted(cloud, lambda_client):
    """PutFunctionConcurrency at 0 is how an operator stops a function being invoked (the e2e suite
    holds a Step Functions task so): each Invoke is throttled, and Step Functions then retries it."""
    sleeper = cloud.deployment.function("sleeper").name
    idle = {"Records": []}

    answer = lambda_client.put_function_concurrency(FunctionName=sleeper, ReservedConcurrentExecutions=0)
    try:
        assert _shape(answer) == {"ReservedConcurrentExecutions": 0}
        assert _shape(lambda_client.get_function_concurrency(FunctionName=sleeper)) == {
            "ReservedConcurrentExecutions": 0
        }
        with pytest.raises(lambda_client.exceptions.TooManyRequestsException) as throttled:
            lambda_client.invoke(FunctionName=sleeper, Payload=json.dumps(idle))
        assert throttled.value.response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
        assert lambda_client.get_function(FunctionName=sleeper)["Concurrency"] == {"ReservedConcurrentExecutions": 0}
    finally:
        lambda_client.delete_function_concurrency(FunctionName=sleeper)

    assert _shape(lambda_client.get_function_concurrency(FunctionName=sleeper)) == {}
    assert lambda_client.invoke(FunctionName=sleeper, Payload=json.dumps(idle))["StatusCode"] == 200
    with pytest.raises(lambda_client.exceptions.InvalidParameterValueException):
        lambda_client.put_function_concurrency(FunctionName=sleeper, ReservedConcurrentExecutions=1001)
