"""Least privilege: no wildcard, each role inside its own context, publishing only as itself."""

import json

import pytest

from contracts import load_catalog

catalog = load_catalog()


def _function_roles(program):
    """(context, function logical name, policy statements) for each function role."""
    policies = {}
    for policy in program.of_type("aws:iam/rolePolicy:RolePolicy"):
        policies.setdefault(policy.inputs["role"], []).extend(json.loads(policy.inputs["policy"])["Statement"])
    roles = []
    for role in program.of_type("aws:iam/role:Role"):
        role_id = f"{role.outputs['name']}-id"
        context = role.name.split("-", 1)[0]
        roles.append((context, role.name, policies.get(role_id, [])))
    return roles


def _owner_of(program, arn: str) -> str:
    """The logical name of the resource an ARN (or one of its sub-resources) belongs to."""
    for resource in program.resources:
        own = resource.outputs.get("arn")
        if own and (arn == own or arn.startswith(f"{own}:") or arn.startswith(f"{own}/")):
            return resource.name
        stream = resource.outputs.get("streamArn")
        if stream and arn == stream:
            return resource.name
    raise AssertionError(f"{arn} names no resource of this program")


def _as_list(value):
    return value if isinstance(value, list) else [value]


def test_no_statement_grants_a_wildcard_action_or_resource(program):
    roles = _function_roles(program)
    assert roles and all(statements for _, _, statements in roles)
    for _, role, statements in roles:
        for statement in statements:
            for action in _as_list(statement["Action"]):
                assert "*" not in action, (role, action)
            for resource in _as_list(statement["Resource"]):
                # Lambda names its log streams itself: a stream wildcard inside the
                # function's own log group is the one allowed.
                if statement.get("Sid") == "WriteOwnLogs":
                    assert resource.endswith(":log-stream:*") and resource.count("*") == 1
                else:
                    assert "*" not in resource, (role, resource)


def test_each_role_touches_only_its_own_contexts_resources(program):
    global_bus = next(r for r in program.of_type("aws:cloudwatch/eventBus:EventBus") if r.name == "saga-global-bus")
    checked = 0
    for context, role, statements in _function_roles(program):
        for statement in statements:
            for resource in _as_list(statement["Resource"]):
                if resource == global_bus.outputs["arn"]:
                    assert statement["Action"] == ["events:PutEvents"], role
                    continue
                owner = _owner_of(program, resource.removesuffix(":log-stream:*"))
                assert owner.startswith(f"{context}-"), (role, resource, owner)
                checked += 1
    assert checked > 10


@pytest.mark.parametrize("context", catalog.contexts)
def test_a_context_publishes_only_with_its_own_source(program, context):
    publishing = [
        statement
        for role_context, _, statements in _function_roles(program)
        if role_context == context
        for statement in statements
        if "events:PutEvents" in statement["Action"] and statement["Sid"] == "PublishOwnEvents"
    ]
    # A context that produces events publishes them (notification produces none).
    assert bool(publishing) == bool(catalog.produced_by(context))
    for statement in publishing:
        assert statement["Condition"] == {"StringEquals": {"events:source": catalog.source_of(context)}}


def test_only_contexts_that_produce_events_may_publish(program):
    publishers = {
        role_context
        for role_context, _, statements in _function_roles(program)
        for s in statements
        if s.get("Sid") == "PublishOwnEvents"
    }
    producers = {e.producer for e in catalog.events}
    deployed = {r.name.split("-", 1)[0] for r in program.of_type("saga:context:BoundedContext")}
    assert publishers == producers & deployed
