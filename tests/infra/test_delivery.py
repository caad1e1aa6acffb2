"""Queues, dead-letter queues and event source mappings behave as the design requires."""

import json

from tests.infra.program import stack_config


def _queues(program):
    return {r.name: r for r in program.of_type("aws:sqs/queue:Queue")}


def test_every_work_queue_redrives_to_its_own_contexts_dlq(program):
    queues = _queues(program)
    work_queues = [name for name in queues if not name.endswith("-dlq")]
    assert work_queues
    for name in work_queues:
        redrive = json.loads(queues[name].inputs["redrivePolicy"])
        context = name.removesuffix("-queue")
        assert redrive["deadLetterTargetArn"] == queues[f"{context}-dlq"].outputs["arn"]
        assert 1 <= redrive["maxReceiveCount"] <= 10


def test_visibility_timeout_is_at_least_six_function_timeouts(program):
    functions = {r.name: r for r in program.of_type("aws:lambda/function:Function")}
    queues = _queues(program)
    checked = []
    for mapping in program.of_type("aws:lambda/eventSourceMapping:EventSourceMapping"):
        queue = next(
            (q for q in queues.values() if q.outputs["arn"] == mapping.inputs["eventSourceArn"]),
            None,
        )
        if queue is None:
            continue  # a stream mapping
        function = next(f for f in functions.values() if f.outputs["arn"] == mapping.inputs["functionName"])
        assert queue.inputs["visibilityTimeoutSeconds"] >= 6 * function.inputs["timeout"]
        checked.append(queue.name)
    assert sorted(checked) == sorted(name for name in queues if not name.endswith("-dlq"))


def test_every_event_source_mapping_reports_partial_batch_failures(program):
    mappings = program.of_type("aws:lambda/eventSourceMapping:EventSourceMapping")
    assert mappings
    for mapping in mappings:
        assert mapping.inputs["functionResponseTypes"] == ["ReportBatchItemFailures"]
        assert 1 <= mapping.inputs["batchSize"] <= 10


def test_stream_mappings_give_up_into_a_dead_letter_queue(program):
    dlq_arns = {q.outputs["arn"] for name, q in _queues(program).items() if name.endswith("-dlq")}
    streams = [
        m
        for m in program.of_type("aws:lambda/eventSourceMapping:EventSourceMapping")
        if "/stream/" in m.inputs["eventSourceArn"]
    ]
    assert streams
    for mapping in streams:
        assert mapping.inputs["maximumRetryAttempts"] >= 1
        assert mapping.inputs["destinationConfig"]["onFailure"]["destinationArn"] in dlq_arns


def test_queues_and_tables_are_encrypted_and_tables_recoverable(program):
    assert program.of_type("aws:sqs/queue:Queue") and program.of_type("aws:dynamodb/table:Table")
    for queue in program.of_type("aws:sqs/queue:Queue"):
        assert queue.inputs["sqsManagedSseEnabled"] is True
    for table in program.of_type("aws:dynamodb/table:Table"):
        assert table.inputs["serverSideEncryption"]["enabled"] is True
        assert table.inputs["pointInTimeRecovery"]["enabled"] is True


def test_every_log_group_has_a_retention(program):
    # The event log and one per function, at least.
    groups = program.of_type("aws:cloudwatch/logGroup:LogGroup")
    assert len(groups) >= 1 + len(program.of_type("aws:lambda/function:Function"))
    for group in groups:
        assert group.inputs.get("retentionInDays", 0) > 0, group.name


def test_each_dlq_and_each_function_is_watched_by_an_alarm(program):
    alarms = program.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    topic = next(t for t in program.of_type("aws:sns/topic:Topic") if t.name == "saga-operations").outputs["arn"]
    assert all(alarm.inputs["alarmActions"] == [topic] for alarm in alarms)
    watched = {str(sorted(a.inputs["dimensions"].values())) for a in alarms}
    dead_letter_queues = [q for q in program.of_type("aws:sqs/queue:Queue") if q.name.endswith("-dlq")]
    assert dead_letter_queues and program.of_type("aws:lambda/function:Function")
    for queue in dead_letter_queues:
        assert str([queue.outputs["name"]]) in watched
    for function in program.of_type("aws:lambda/function:Function"):
        metrics = {
            a.inputs["metricName"]
            for a in alarms
            if a.inputs["dimensions"] == {"FunctionName": function.outputs["name"]}
        }
        assert metrics == {"Errors", "Throttles"}


def test_alarms_can_publish_to_the_encrypted_operations_topic(program):
    """CloudWatch cannot use the AWS-managed SNS key: the topic's key must let it in."""
    topic = next(t for t in program.of_type("aws:sns/topic:Topic") if t.name == "saga-operations")
    key = next(k for k in program.of_type("aws:kms/key:Key") if k.outputs["arn"] == topic.inputs["kmsMasterKeyId"])
    statements = json.loads(key.inputs["policy"])["Statement"]
    cloudwatch = [s for s in statements if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}]
    assert cloudwatch
    assert {"kms:Decrypt", "kms:GenerateDataKey*"} <= set(cloudwatch[0]["Action"])
    assert key.inputs["enableKeyRotation"] is True


def _stack_setting(name):
    return json.loads(stack_config("dev")[f"order-saga:{name}"])


def test_every_queue_mapping_scales_to_the_configured_maximum_concurrency(program):
    queue_arns = {q.outputs["arn"] for q in _queues(program).values()}
    mappings = program.of_type("aws:lambda/eventSourceMapping:EventSourceMapping")
    queue_mappings = [m for m in mappings if m.inputs["eventSourceArn"] in queue_arns]
    assert queue_mappings
    for mapping in queue_mappings:
        assert mapping.inputs["scalingConfig"] == {"maximumConcurrency": _stack_setting("queueMaximumConcurrency")}
        # Lambda refuses a maximum concurrency below 2.
        assert 2 <= mapping.inputs["scalingConfig"]["maximumConcurrency"] <= 1000
    for mapping in mappings:
        if mapping not in queue_mappings:
            # A stream shard stays one batch in flight, in order.
            assert "scalingConfig" not in mapping.inputs
            assert mapping.inputs.get("parallelizationFactor", 1) == 1


def test_only_the_api_function_reserves_concurrency_and_it_comes_from_config(program):
    reserved = {
        f.name: f.inputs.get("reservedConcurrentExecutions") for f in program.of_type("aws:lambda/function:Function")
    }
    assert reserved.pop("order-api-fn") == _stack_setting("apiReservedConcurrency")
    assert set(reserved.values()) == {None}
