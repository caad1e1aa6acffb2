"""EventBridge Scheduler schedule groups and schedules (the embedded cloud's timer runs them)."""

from __future__ import annotations

from typing import Any

from localcloud.provisioning.resources.base import Handler, Inputs, Provisioner, State, as_int, drop_none

SCHEDULE_GROUP = "aws:scheduler/scheduleGroup:ScheduleGroup"
SCHEDULE = "aws:scheduler/schedule:Schedule"


def create_schedule_group(p: Provisioner, logical: str, inputs: Inputs) -> tuple[str, State]:
    name = p.name(inputs, logical, SCHEDULE_GROUP, 64)
    arn = p.client("scheduler").create_schedule_group(Name=name)["ScheduleGroupArn"]
    return name, {**inputs, "name": name, "arn": arn, "state": "ACTIVE"}


def _target(target: dict[str, Any]) -> dict[str, Any]:
    retry = target.get("retryPolicy") or {}
    return drop_none(
        {
            "Arn": target["arn"],
            "RoleArn": target["roleArn"],
            "Input": target.get("input"),
            "RetryPolicy": drop_none(
                {
                    "MaximumEventAgeInSeconds": as_int(retry.get("maximumEventAgeInSeconds")),
                    "MaximumRetryAttempts": as_int(retry.get("maximumRetryAttempts")),
                }
            )
            or None,
        }
    )


def create_schedule(p: Provisioner, logical: str, inputs: Inputs) -> tuple[str, State]:
    name = p.name(inputs, logical, SCHEDULE, 64)
    group = inputs.get("groupName") or "default"
    window = inputs.get("flexibleTimeWindow") or {"mode": "OFF"}
    arn = p.client("scheduler").create_schedule(
        **drop_none(
            {
                "Name": name,
                "GroupName": group,
                "ScheduleExpression": inputs["scheduleExpression"],
                "ScheduleExpressionTimezone": inputs.get("scheduleExpressionTimezone"),
                "FlexibleTimeWindow": drop_none(
                    {"Mode": window["mode"], "MaximumWindowInMinutes": as_int(window.get("maximumWindowInMinutes"))}
                ),
                "Target": _target(inputs["target"]),
                "State": inputs.get("state"),
                "Description": inputs.get("description"),
            }
        )
    )["ScheduleArn"]
    return f"{group}/{name}", {**inputs, "name": name, "groupName": group, "arn": arn}


HANDLERS: dict[str, Handler] = {SCHEDULE_GROUP: create_schedule_group, SCHEDULE: create_schedule}
