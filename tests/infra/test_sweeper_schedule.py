"""The sweeper runs on an EventBridge Scheduler schedule whose role may invoke the sweeper and nothing
else, and it finds overdue orders through the orders table's sparse index, which only it may query."""

import json

from order.store import DEADLINE_ATTRIBUTE, OPEN_ORDERS_INDEX, OPEN_SHARD_ATTRIBUTE

from components.schedule import SCHEDULER_INPUT
from components.settings import DEFAULT_SWEEPER_SCHEDULE
from tests.infra.program import ACCOUNT, run_program

SCHEDULE = "aws:scheduler/schedule:Schedule"
GROUP = "aws:scheduler/scheduleGroup:ScheduleGroup"


def _one(program, type_, name):
    [resource] = [r for r in program.of_type(type_) if r.name == name]
    return resource


def _statements(program, role):
    role_id = f"{role.outputs['name']}-id"
    return [
        statement
        for policy in program.of_type("aws:iam/rolePolicy:RolePolicy")
        if policy.inputs["role"] == role_id
        for statement in json.loads(policy.inputs["policy"])["Statement"]
    ]


def test_the_sweeper_is_the_one_function_on_a_schedule(program):
    sweeper = _one(program, "aws:lambda/function:Function", "order-sweeper-fn")
    [schedule] = program.of_type(SCHEDULE)
    group = _one(program, GROUP, "order-sweeper-schedule-group")

    assert schedule.inputs["target"]["arn"] == sweeper.outputs["arn"]
    assert schedule.inputs["scheduleExpression"] == DEFAULT_SWEEPER_SCHEDULE  # Pulumi.dev.yaml sets none
    assert schedule.inputs["groupName"] == group.outputs["name"]
    assert schedule.inputs["flexibleTimeWindow"] == {"mode": "OFF"}
    # What it hands the sweeper: Scheduler's context attributes, filled in at each invocation.
    assert json.loads(schedule.inputs["target"]["input"]) == SCHEDULER_INPUT


def test_the_schedules_role_may_invoke_the_sweeper_and_nothing_else(program):
    sweeper = _one(program, "aws:lambda/function:Function", "order-sweeper-fn")
    [schedule] = program.of_type(SCHEDULE)
    [role] = [
        r for r in program.of_type("aws:iam/role:Role") if r.outputs["arn"] == schedule.inputs["target"]["roleArn"]
    ]

    assert _statements(program, role) == [
        {
            "Sid": "InvokeOneFunction",
            "Effect": "Allow",
            "Action": ["lambda:InvokeFunction"],
            "Resource": [sweeper.outputs["arn"]],
        }
    ]
    # Only Scheduler may assume it, for our account and the sweeper's schedule group alone.
    [trust] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert trust["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnEquals": {"aws:SourceArn": _one(program, GROUP, "order-sweeper-schedule-group").outputs["arn"]},
    }
    # No other role may invoke a function: nothing else in the saga calls Lambda directly.
    invokers = [
        r.name
        for r in program.of_type("aws:iam/role:Role")
        if any("lambda:InvokeFunction" in s["Action"] for s in _statements(program, r))
    ]
    assert invokers == [role.name]


def test_the_schedule_follows_the_stacks_setting():
    program = run_program("dev", config_overrides={"order-saga:sweeperSchedule": "rate(5 minutes)"})
    [schedule] = program.of_type(SCHEDULE)
    assert schedule.inputs["scheduleExpression"] == "rate(5 minutes)"


def test_open_orders_are_indexed_by_deadline_and_only_the_sweeper_queries_the_index(program):
    orders = _one(program, "aws:dynamodb/table:Table", "order-orders")
    [index] = orders.inputs["globalSecondaryIndexes"]
    assert (index["name"], index["projectionType"]) == (OPEN_ORDERS_INDEX, "KEYS_ONLY")
    assert index["keySchemas"] == [
        {"attributeName": OPEN_SHARD_ATTRIBUTE, "keyType": "HASH"},
        {"attributeName": DEADLINE_ATTRIBUTE, "keyType": "RANGE"},
    ]
    index_arn = f"{orders.outputs['arn']}/index/{OPEN_ORDERS_INDEX}"
    queriers = [
        r.name
        for r in program.of_type("aws:iam/role:Role")
        for s in _statements(program, r)
        if index_arn in s["Resource"] and s["Action"] == ["dynamodb:Query"]
    ]
    assert queriers == ["order-sweeper-role"]


def test_the_functions_are_told_the_stacks_deadline():
    program = run_program(
        "dev",
        config_overrides={"order-saga:orderDeadlineSeconds": "42", "order-saga:orderDeadlineGraceSeconds": "7"},
    )
    environments = {
        f.name: f.inputs["environment"]["variables"] for f in program.of_type("aws:lambda/function:Function")
    }
    assert environments["order-api-fn"]["ORDER_DEADLINE_SECONDS"] == "42"
    assert environments["order-sweeper-fn"]["ORDER_DEADLINE_GRACE_SECONDS"] == "7"
