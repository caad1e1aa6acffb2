"""EventBridge buses, rules, targets and archives."""

from __future__ import annotations

import json

from localcloud.provisioning.resources.base import Handler, Inputs, Provisioner, State, as_int, drop_none, tag_list

BUS = "aws:cloudwatch/eventBus:EventBus"
RULE = "aws:cloudwatch/eventRule:EventRule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"
ARCHIVE = "aws:cloudwatch/eventArchive:EventArchive"
BUS_POLICY = "aws:cloudwatch/eventBusPolicy:EventBusPolicy"


def _bus_name(value: str | None) -> str:
    if not value:
        return "default"
    return value.split("/")[-1] if value.startswith("arn:") else value


def create_bus(p: Provisioner, logical: str, inputs: Inputs) -> tuple[str, State]:
    name = p.name(inputs, logical, BUS, 256)
    kwargs = drop_none({"Name": name, "Description": inputs.get("description")})
    if tags := tag_list(inputs):
        kwargs["Tags"] = tags
    created = p.client("events").create_event_bus(**kwargs)
    return name, {**inputs, "name": name, "arn": created["EventBusArn"]}


def create_rule(p: Provisioner, logical: str, inputs: Inputs) -> tuple[str, State]:
    name = p.name(inputs, logical, RULE, 64)
    bus = _bus_name(inputs.get("eventBusName"))
    state = inputs.get("state") or ("DISABLED" if inputs.get("isEnabled") is False else "ENABLED")
    kwargs = drop_none(
        {
            "Name": name,
            "EventBusName": bus,
            "EventPattern": inputs.get("eventPattern"),
            "ScheduleExpression": inputs.get("scheduleExpression"),
            "Description": inputs.get("description"),
            "RoleArn": inputs.get("roleArn"),
            "State": state,
        }
    )
    if tags := tag_list(inputs):
        kwargs["Tags"] = tags
    created = p.client("events").put_rule(**kwargs)
    rule_id = name if bus == "default" else f"{bus}/{name}"
    return rule_id, {**inputs, "name": name, "eventBusName": bus, "arn": created["RuleArn"]}


def create_target(p: Provisioner, logical: str, inputs: Inputs) -> tuple[str, State]:
    target_id = p.name(inputs, logical, TARGET, 64, name_key="targetId")
    bus = _bus_name(inputs.get("eventBusName"))
    target = drop_none(
        {
            "Id": target_id,
            "Arn": inputs["arn"],
            "RoleArn": inputs.get("roleArn"),
            "Input": inputs.get("input"),
            "InputPath": inputs.get("inputPath"),
        }
    )
    if transformer := inputs.get("inputTransformer"):
        target["InputTransformer"] = drop_none(
            {
                "InputPathsMap": transformer.get("inputPaths"),
                "InputTemplate": transformer["inputTemplate"],
            }
        )
    if dead_letter := inputs.get("deadLetterConfig"):
        target["DeadLetterConfig"] = drop_none({"Arn": dead_letter.get("arn")})
    if retry := inputs.get("retryPolicy"):
        target["RetryPolicy"] = drop_none(
            {
                "MaximumRetryAttempts": as_int(retry.get("maximumRetryAttempts")),
                "MaximumEventAgeInSeconds": as_int(retry.get("maximumEventAgeInSeconds")),
            }
        )
    if (sqs := inputs.get("sqsTarget")) and sqs.get("messageGroupId"):
        target["SqsParameters"] = {"MessageGroupId": sqs["messageGroupId"]}
    response = p.client("events").put_targets(Rule=inputs["rule"], EventBusName=bus, Targets=[target])
    if response.get("FailedEntryCount"):
        raise RuntimeError(f"EventTarget '{logical}' rejected: {response['FailedEntries']}")
    resource_id = f"{inputs['rule']}-{target_id}" if bus == "default" else f"{bus}/{inputs['rule']}/{target_id}"
    return resource_id, {**inputs, "targetId": target_id, "eventBusName": bus}


def create_archive(p: Provisioner, logical: str, inputs: Inputs) -> tuple[str, State]:
    name = p.name(inputs, logical, ARCHIVE, 48)
    created = p.client("events").create_archive(
        **drop_none(
            {
                "ArchiveName": name,
                "EventSourceArn": inputs["eventSourceArn"],
                "Description": inputs.get("description"),
                "EventPattern": inputs.get("eventPattern"),
                "RetentionDays": as_int(inputs.get("retentionDays")),
            }
        )
    )
    return name, {**inputs, "name": name, "arn": created["ArchiveArn"]}


def create_bus_policy(p: Provisioner, logical: str, inputs: Inputs) -> tuple[str, State]:
    bus = _bus_name(inputs.get("eventBusName"))
    policy = inputs["policy"]
    json.loads(policy)  # an invalid document fails here as it would in AWS
    p.client("events").put_permission(EventBusName=bus, Policy=policy)
    return bus, {**inputs, "eventBusName": bus}


HANDLERS: dict[str, Handler] = {
    BUS: create_bus,
    RULE: create_rule,
    TARGET: create_target,
    ARCHIVE: create_archive,
    BUS_POLICY: create_bus_policy,
}
