"""The order API's door: a JWT authorizer in front of every order route, tokens from the stack's
own Cognito user pool and app client, and the stage's throttling from the stack config."""

from tests.infra.program import stack_config


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
