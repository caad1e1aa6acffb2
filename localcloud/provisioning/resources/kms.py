"""KMS keys and aliases."""

from __future__ import annotations

from localcloud.provisioning.resources.base import Handler, Inputs, Provisioner, State, as_int, drop_none

KEY = "aws:kms/key:Key"
ALIAS = "aws:kms/alias:Alias"


def create_key(p: Provisioner, logical: str, inputs: Inputs) -> tuple[str, State]:
    kms = p.client("kms")
    key = kms.create_key(
        **drop_none(
            {
                "Description": inputs.get("description"),
                "Policy": inputs.get("policy"),
                "KeyUsage": inputs.get("keyUsage"),
                "KeySpec": inputs.get("customerMasterKeySpec"),
            }
        )
    )["KeyMetadata"]
    if inputs.get("enableKeyRotation"):
        period = as_int(inputs.get("rotationPeriodInDays"))
        kms.enable_key_rotation(**drop_none({"KeyId": key["KeyId"], "RotationPeriodInDays": period}))
    return key["KeyId"], {**inputs, "keyId": key["KeyId"], "arn": key["Arn"]}


def create_alias(p: Provisioner, logical: str, inputs: Inputs) -> tuple[str, State]:
    name = p.name(inputs, logical, ALIAS, 256)
    p.client("kms").create_alias(AliasName=name, TargetKeyId=inputs["targetKeyId"])
    alias_arn = f"arn:aws:kms:us-east-1:123456789012:{name}"
    return name, {**inputs, "name": name, "arn": alias_arn, "targetKeyArn": inputs["targetKeyId"]}


HANDLERS: dict[str, Handler] = {KEY: create_key, ALIAS: create_alias}
