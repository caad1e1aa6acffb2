"""Cognito user pools and app clients, created in moto's cognito-idp (which signs real tokens)."""

from __future__ import annotations

from typing import Any

from localcloud.provisioning.resources.base import Handler, Inputs, Provisioner, State, as_int, drop_none

USER_POOL = "aws:cognito/userPool:UserPool"
USER_POOL_CLIENT = "aws:cognito/userPoolClient:UserPoolClient"


def _password_policy(policy: dict[str, Any] | None) -> dict[str, Any] | None:
    if not policy:
        return None
    return drop_none(
        {
            "MinimumLength": as_int(policy.get("minimumLength")),
            "RequireUppercase": policy.get("requireUppercase"),
            "RequireLowercase": policy.get("requireLowercase"),
            "RequireNumbers": policy.get("requireNumbers"),
            "RequireSymbols": policy.get("requireSymbols"),
        }
    )


def create_user_pool(p: Provisioner, logical: str, inputs: Inputs) -> tuple[str, State]:
    name = p.name(inputs, logical, USER_POOL, 128)
    password_policy = _password_policy(inputs.get("passwordPolicy"))
    admin_only = (inputs.get("adminCreateUserConfig") or {}).get("allowAdminCreateUserOnly")
    pool = p.client("cognito-idp").create_user_pool(
        **drop_none(
            {
                "PoolName": name,
                "Policies": {"PasswordPolicy": password_policy} if password_policy else None,
                "AdminCreateUserConfig": None if admin_only is None else {"AllowAdminCreateUserOnly": admin_only},
                "DeletionProtection": inputs.get("deletionProtection"),
            }
        )
    )["UserPool"]
    # The endpoint is what AWS reports: the issuer's host and path, without the scheme.
    region = pool["Id"].split("_", 1)[0]
    endpoint = f"cognito-idp.{region}.amazonaws.com/{pool['Id']}"
    return pool["Id"], {**inputs, "name": name, "arn": pool["Arn"], "endpoint": endpoint}


def create_user_pool_client(p: Provisioner, logical: str, inputs: Inputs) -> tuple[str, State]:
    name = p.name(inputs, logical, USER_POOL_CLIENT, 128)
    created = p.client("cognito-idp").create_user_pool_client(
        **drop_none(
            {
                "UserPoolId": inputs["userPoolId"],
                "ClientName": name,
                "GenerateSecret": bool(inputs.get("generateSecret")),
                "ExplicitAuthFlows": inputs.get("explicitAuthFlows"),
                "PreventUserExistenceErrors": inputs.get("preventUserExistenceErrors"),
                "AccessTokenValidity": as_int(inputs.get("accessTokenValidity")),
                "IdTokenValidity": as_int(inputs.get("idTokenValidity")),
            }
        )
    )["UserPoolClient"]
    return created["ClientId"], {**inputs, "name": name, "clientSecret": created.get("ClientSecret", "")}


HANDLERS: dict[str, Handler] = {USER_POOL: create_user_pool, USER_POOL_CLIENT: create_user_pool_client}
