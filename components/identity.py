"""Who the order API's customers are: a Cognito user pool and app client, or a team's own issuer.

API Gateway's JWT authorizer needs an issuer and the audiences a token may be for. By default
the stack brings its own user pool; `jwtIssuer` and `jwtAudiences` in the stack config point the
authorizer at another OpenID Connect provider instead, and no pool is created.
"""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class ExternalIssuer:
    issuer: str
    audiences: tuple[str, ...]


class CustomerIdentity(pulumi.ComponentResource):
    def __init__(
        self, name: str, external: ExternalIssuer | None = None, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("saga:identity:CustomerIdentity", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.user_pool_id: pulumi.Output[str] | None = None
        self.client_id: pulumi.Output[str] | None = None
        if external is not None:
            self.issuer: pulumi.Input[str] = external.issuer
            self.audiences: pulumi.Input[list[str]] = list(external.audiences)
            self.register_outputs({"issuer": self.issuer})
            return
        pool = aws.cognito.UserPool(
            f"{name}-customers",
            password_policy=aws.cognito.UserPoolPasswordPolicyArgs(
                minimum_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_numbers=True,
                require_symbols=False,
            ),
            admin_create_user_config=aws.cognito.UserPoolAdminCreateUserConfigArgs(
                # Customers are signed up by the shop (an operator), not by themselves.
                allow_admin_create_user_only=True,
            ),
            deletion_protection="ACTIVE" if pulumi.get_stack().startswith("prod") else "INACTIVE",
            opts=child,
        )
        client = aws.cognito.UserPoolClient(
            f"{name}-order-api-client",
            user_pool_id=pool.id,
            # A public client (a browser or an app): no secret; customers sign in with a password.
            generate_secret=False,
            explicit_auth_flows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            prevent_user_existence_errors="ENABLED",
            access_token_validity=60,
            id_token_validity=60,
            token_validity_units=aws.cognito.UserPoolClientTokenValidityUnitsArgs(
                access_token="minutes", id_token="minutes", refresh_token="days"
            ),
            opts=child,
        )
        region = aws.get_region_output().region
        self.user_pool_id = pool.id
        self.client_id = client.id
        self.issuer = pulumi.Output.concat("https://cognito-idp.", region, ".amazonaws.com/", pool.id)
        self.audiences = client.id.apply(lambda client_id: [client_id])
        self.register_outputs({"issuer": self.issuer, "userPoolId": pool.id, "clientId": client.id})
