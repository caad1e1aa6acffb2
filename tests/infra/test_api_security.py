"""The order API's door: a JWT authorizer in front of every order route, tokens from the stack's
own Cognito user pool and app client, and the stage's throttling from the stack config."""

import json

import pytest

from tests.infra.program import run_program, stack_config


def test_every_route_but_the_openapi_document_wants_a_customers_token(program):
    [authorizer] = program.of_type("aws:apigatewayv2/authorizer:Authorizer")
    routes = program.of_type("aws:apigatewayv2/route:Route")
    public = [r.inputs["routeKey"] for r in routes if r.inputs.get("authorizationType", "NONE") == "NONE"]
    assert public == ["GET /openapi.json"]
    for route in routes:
        if route.inputs["routeKey"] != "GET /openapi.json":
            assert route.inputs["authorizationType"] == "JWT", route.name
            assert route.inputs["authorizerId"] == f"{authorizer.outputs['name']}-id", route.name
    # The order routes are reached through $default: the function's resolver owns them.
    assert "$default" in {r.inputs["routeKey"] for r in routes}


def test_tokens_come_from_the_stacks_own_user_pool_for_its_app_client(program):
    [authorizer] = program.of_type("aws:apigatewayv2/authorizer:Authorizer")
    [pool] = program.of_type("aws:cognito/userPool:UserPool")
    [client] = program.of_type("aws:cognito/userPoolClient:UserPoolClient")
    jwt = authorizer.inputs["jwtConfiguration"]
    assert authorizer.inputs["authorizerType"] == "JWT"
    assert authorizer.inputs["identitySources"] == ["$request.header.Authorization"]
    assert jwt["issuer"] == f"https://cognito-idp.us-east-1.amazonaws.com/{pool.outputs['name']}-id"
    assert jwt["audiences"] == [f"{client.outputs['name']}-id"]
    # A public client (no secret); customers sign in with a password, the shop creates them.
    assert not client.inputs.get("generateSecret")
    assert set(client.inputs["explicitAuthFlows"]) == {"ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}
    assert pool.inputs["adminCreateUserConfig"]["allowAdminCreateUserOnly"] is True


def test_the_stage_throttles_as_the_stack_config_says(program):
    config = stack_config("dev")
    [stage] = program.of_type("aws:apigatewayv2/stage:Stage")
    settings = stage.inputs["defaultRouteSettings"]
    assert settings["throttlingRateLimit"] == float(config["order-saga:apiThrottlingRateLimit"])
    assert settings["throttlingBurstLimit"] == int(config["order-saga:apiThrottlingBurstLimit"])


@pytest.fixture(scope="module")
def with_own_issuer():
    """The program for a team that brings its own identity provider, and its own throttling."""
    return run_program(
        config_overrides={
            "order-saga:jwtIssuer": "https://login.example.com/",
            "order-saga:jwtAudiences": json.dumps(["order-api", "order-app"]),
            "order-saga:apiThrottlingRateLimit": "7",
            "order-saga:apiThrottlingBurstLimit": "9",
        }
    )


def test_a_team_with_its_own_issuer_gets_no_user_pool_and_the_authorizer_trusts_its_issuer(with_own_issuer):
    assert with_own_issuer.of_type("aws:cognito/userPool:UserPool") == []
    assert with_own_issuer.of_type("aws:cognito/userPoolClient:UserPoolClient") == []
    [authorizer] = with_own_issuer.of_type("aws:apigatewayv2/authorizer:Authorizer")
    assert authorizer.inputs["jwtConfiguration"] == {
        "issuer": "https://login.example.com/",
        "audiences": ["order-api", "order-app"],
    }


def test_the_stage_throttling_follows_a_changed_config(with_own_issuer):
    [stage] = with_own_issuer.of_type("aws:apigatewayv2/stage:Stage")
    settings = stage.inputs["defaultRouteSettings"]
    assert (settings["throttlingRateLimit"], settings["throttlingBurstLimit"]) == (7, 9)
