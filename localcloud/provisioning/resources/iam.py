"""IAM roles and policies."""

from __future__ import annotations

import json

from botocore.exceptions import ClientError

from localcloud.provisioning.resources.base import Handler, Inputs, Provisioner, State, as_int, drop_none, tag_list

ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
POLICY = "aws:iam/policy:Policy"

_AWS_MANAGED_PREFIX = "arn:aws:iam::aws:policy/"


def _validate_document(kind: str, logical: str, document: str) -> None:
    try:
        parsed = json.loads(document)
    except ValueError as error:
        raise ValueError(f"{kind} '{logical}': policy is not valid JSON: {error}") from None
    if not isinstance(parsed, dict) or "Statement" not in parsed:
        raise ValueError(f"{kind} '{logical}': policy has no Statement")


def _attach(p: Provisioner, role: str, policy_arn: str) -> None:
    try:
        p.client("iam").attach_role_policy(RoleName=role, PolicyArn=policy_arn)
    except ClientError as error:
        # moto does not load AWS-managed policies by default; AWS has them all.
        missing = error.response["Error"]["Code"] == "NoSuchEntity"
        if not (missing and policy_arn.startswith(_AWS_MANAGED_PREFIX)):
            raise
        p.record("managed_policy_attachments", {"role": role, "policy_arn": policy_arn})


def create_role(p: Provisioner, logical: str, inputs: Inputs) -> tuple[str, State]:
    name = p.name(inputs, logical, ROLE, 64)
    _validate_document(ROLE, logical, inputs["assumeRolePolicy"])
    kwargs = drop_none(
        {
            "RoleName": name,
            "Path": inputs.get("path"),
            "AssumeRolePolicyDocument": inputs["assumeRolePolicy"],
            "Description": inputs.get("description"),
            "MaxSessionDuration": as_int(inputs.get("maxSessionDuration")),
            "PermissionsBoundary": inputs.get("permissionsBoundary"),
        }
    )
    if tags := tag_list(inputs):
        kwargs["Tags"] = tags
    iam = p.client("iam")
    role = iam.create_role(**kwargs)["Role"]
    for inline in inputs.get("inlinePolicies") or []:
        if inline.get("name") and inline.get("policy"):
            _validate_document(ROLE, logical, inline["policy"])
            iam.put_role_policy(RoleName=name, PolicyName=inline["name"], PolicyDocument=inline["policy"])
    for policy_arn in inputs.get("managedPolicyArns") or []:
        _attach(p, name, policy_arn)
    return name, {**inputs, "name": name, "arn": role["Arn"], "uniqueId": role["RoleId"]}


def create_role_policy(p: Provisioner, logical: str, inputs: Inputs) -> tuple[str, State]:
    name = p.name(inputs, logical, ROLE_POLICY, 128)
    _validate_document(ROLE_POLICY, logical, inputs["policy"])
    role = inputs["role"]
    p.client("iam").put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=inputs["policy"])
    return f"{role}:{name}", {**inputs, "name": name}


def create_role_policy_attachment(p: Provisioner, logical: str, inputs: Inputs) -> tuple[str, State]:
    role = inputs["role"]
    _attach(p, role, inputs["policyArn"])
    # Like the provider: the id is the role name with a unique tail.
    attachment_id = p.name({"namePrefix": f"{role}-"}, logical, ROLE_POLICY_ATTACHMENT, 1024)
    return attachment_id, dict(inputs)


def create_policy(p: Provisioner, logical: str, inputs: Inputs) -> tuple[str, State]:
    name = p.name(inputs, logical, POLICY, 128)
    _validate_document(POLICY, logical, inputs["policy"])
    kwargs = drop_none(
        {
            "PolicyName": name,
            "Path": inputs.get("path"),
            "PolicyDocument": inputs["policy"],
            "Description": inputs.get("description"),
        }
    )
    if tags := tag_list(inputs):
        kwargs["Tags"] = tags
    policy = p.client("iam").create_policy(**kwargs)["Policy"]
    return policy["Arn"], {
        **inputs,
        "name": name,
        "arn": policy["Arn"],
        "policyId": policy["PolicyId"],
    }


HANDLERS: dict[str, Handler] = {
    ROLE: create_role,
    ROLE_POLICY: create_role_policy,
    ROLE_POLICY_ATTACHMENT: create_role_policy_attachment,
    POLICY: create_policy,
}
