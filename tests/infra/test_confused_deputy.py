"""No confused deputy: every policy that lets an AWS service in names our account and, where the
service says which resource it acts for, that resource. Checked for every resource of each kind."""

import json

from tests.infra.program import ACCOUNT, REGION

# Resource types whose policy documents can name a service principal, and the input holding it.
POLICY_INPUTS = {
    "aws:iam/role:Role": "assumeRolePolicy",
    "aws:sqs/queuePolicy:QueuePolicy": "policy",
    "aws:sns/topicPolicy:TopicPolicy": "policy",
    "aws:kms/key:Key": "policy",
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": "policyDocument",
}
# Lambda does not promise an aws:SourceArn when it assumes an execution role (and the function's
# ARN cannot be known before its role): the account is all its trust policy can name.
NO_SOURCE_ARN = {"lambda.amazonaws.com"}
# CloudWatch Logs names its source to KMS in the encryption context (the log group's ARN, which
# holds our account and region), not in aws:SourceAccount / aws:SourceArn: AWS documents this key.
LOGS_SOURCE = "kms:EncryptionContext:aws:logs:arn"


def _names_its_log_groups(statement):
    groups = statement.get("Condition", {}).get("ArnLike", {}).get(LOGS_SOURCE)
    prefix = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:"
    return bool(groups) and all(group.startswith(prefix) and group != f"{prefix}*" for group in _as_list(groups))


def _services(statement):
    services = (statement.get("Principal") or {}).get("Service", [])
    return services if isinstance(services, list) else [services]


def _as_list(value):
    return value if isinstance(value, list) else [value]


def service_statements(program):
    """(resource, statement, its service principals) for every statement of every policy document."""
    found = []
    for type_, field in POLICY_INPUTS.items():
        resources = program.of_type(type_)
        assert resources, f"the program declares no {type_}: is this test still looking at the right inputs?"
        for resource in resources:
            document = json.loads(resource.inputs[field])
            for statement in _as_list(document["Statement"]):
                if _services(statement):
                    found.append((resource, statement, _services(statement)))
    return found


def _arns_of_program(program):
    return {r.outputs["arn"] for r in program.resources if r.outputs.get("arn")}


def test_every_service_principal_acts_only_for_our_account(program):
    statements = service_statements(program)
    for resource, statement, services in statements:
        if _names_its_log_groups(statement):
            continue
        condition = statement.get("Condition", {})
        assert condition.get("StringEquals", {}).get("aws:SourceAccount") == ACCOUNT, (resource.name, services)
    # Every kind is there: roles (functions and forwarding), queues, the topic, the key, the log policy.
    assert {resource.type for resource, _, _ in statements} == set(POLICY_INPUTS)


def test_every_service_principal_that_names_its_source_is_held_to_ours(program):
    ours = _arns_of_program(program)
    alarms = f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:*"
    checked = 0
    for resource, statement, services in service_statements(program):
        if set(services) <= NO_SOURCE_ARN or _names_its_log_groups(statement):
            continue
        condition = statement.get("Condition", {})
        exact = condition.get("ArnEquals", {}).get("aws:SourceArn")
        pattern = condition.get("ArnLike", {}).get("aws:SourceArn")
        assert exact or pattern, (resource.name, services)
        for arn in _as_list(exact or []):
            assert arn in ours, (resource.name, arn)
        for arn in _as_list(pattern or []):
            # The one pattern: our account's alarms (an alarm's ARN is not known to the key or topic).
            assert arn == alarms, (resource.name, arn)
        checked += 1
    assert checked >= 12


def test_the_event_log_policy_reaches_only_the_event_log_group(program):
    [event_log] = [r for r in program.of_type("aws:cloudwatch/logGroup:LogGroup") if r.name == "saga-event-log"]
    [log_rule] = [r for r in program.of_type("aws:cloudwatch/eventRule:EventRule") if r.name == "saga-log-every-event"]
    for policy in program.of_type("aws:cloudwatch/logResourcePolicy:LogResourcePolicy"):
        for statement in _as_list(json.loads(policy.inputs["policyDocument"])["Statement"]):
            assert _as_list(statement["Resource"]) == [f"{event_log.outputs['arn']}:*"], policy.name
            assert statement["Condition"]["ArnEquals"]["aws:SourceArn"] == log_rule.outputs["arn"]


def test_every_function_permission_names_its_source_and_our_account(program):
    permissions = program.of_type("aws:lambda/permission:Permission")
    assert permissions
    for permission in permissions:
        if permission.inputs["principal"].endswith(".amazonaws.com"):
            assert permission.inputs.get("sourceArn"), permission.name
            assert permission.inputs.get("sourceAccount") == ACCOUNT, permission.name


def test_each_forwarding_role_is_assumable_only_for_its_own_rule(program):
    rules = {r.name: r.outputs["arn"] for r in program.of_type("aws:cloudwatch/eventRule:EventRule")}
    roles = [r for r in program.of_type("aws:iam/role:Role") if r.name.endswith("-forwarding-role")]
    assert roles
    for role in roles:
        context = role.name.removesuffix("-forwarding-role")
        [statement] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
        assert statement["Condition"]["ArnEquals"]["aws:SourceArn"] == rules[f"{context}-forward"], role.name
