"""API Gateway v2 HTTP APIs: recorded for the local HTTP gateway, not created in moto."""

from __future__ import annotations

import hashlib

from localcloud.emulator.identity import ACCOUNT_ID, REGION
from localcloud.provisioning.resources.base import Handler, Inputs, Provisioner, State, as_int

API = "aws:apigatewayv2/api:Api"
INTEGRATION = "aws:apigatewayv2/integration:Integration"
ROUTE = "aws:apigatewayv2/route:Route"
STAGE = "aws:apigatewayv2/stage:Stage"
DEPLOYMENT = "aws:apigatewayv2/deployment:Deployment"
AUTHORIZER = "aws:apigatewayv2/authorizer:Authorizer"
# An HTTP API's integration timeout: its default and its maximum.
HTTP_API_INTEGRATION_TIMEOUT_MS = 30_000


def _short_id(p: Provisioner, kind: str, logical: str, length: int) -> str:
    return hashlib.sha256(f"{p.stack}:{kind}:{logical}".encode()).hexdigest()[:length]


def api_endpoint(api_id: str) -> str:
    return f"https://{api_id}.execute-api.{REGION}.amazonaws.com"


def stage_invoke_url(api_id: str, stage: str) -> str:
    return f"{api_endpoint(api_id)}/" + ("" if stage == "$default" else stage)


def create_api(p: Provisioner, logical: str, inputs: Inputs) -> tuple[str, State]:
    if inputs.get("protocolType") != "HTTP":
        raise ValueError(f"Api '{logical}': the embedded cloud serves HTTP APIs only")
    api_id = _short_id(p, API, logical, 10)
    name = p.name(inputs, logical, API, 128)
    p.record("http_apis", {"logical_name": logical, "id": api_id, "name": name})
    if target := inputs.get("target"):
        # Quick create: AWS adds the integration, the route and a $default stage itself.
        integration_id = f"{api_id[:7]}q"
        p.record(
            "http_integrations",
            {"id": integration_id, "api_id": api_id, "uri": target, "payload_format": "2.0"},
        )
        route_key = inputs.get("routeKey") or "$default"
        p.record(
            "http_routes",
            {"api_id": api_id, "route_key": route_key, "target": f"integrations/{integration_id}"},
        )
        p.record("http_stages", {"api_id": api_id, "name": "$default"})
    return api_id, {
        **inputs,
        "name": name,
        "apiEndpoint": api_endpoint(api_id),
        "arn": f"arn:aws:apigateway:{REGION}::/apis/{api_id}",
        "executionArn": f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{api_id}",
        "routeSelectionExpression": inputs.get("routeSelectionExpression") or "$request.method $request.path",
    }


def create_integration(p: Provisioner, logical: str, inputs: Inputs) -> tuple[str, State]:
    integration_id = _short_id(p, INTEGRATION, logical, 7)
    # pulumi-aws defaults to payload format 1.0, which the local gateway does not speak.
    payload_format = inputs.get("payloadFormatVersion") or "1.0"
    timeout_ms = as_int(inputs.get("timeoutMilliseconds")) or HTTP_API_INTEGRATION_TIMEOUT_MS
    if not 50 <= timeout_ms <= HTTP_API_INTEGRATION_TIMEOUT_MS:
        raise ValueError(f"Integration '{logical}': an HTTP API integration times out between 50 and 30000 ms")
    p.record(
        "http_integrations",
        {
            "id": integration_id,
            "api_id": inputs["apiId"],
            "type": inputs.get("integrationType"),
            "uri": inputs.get("integrationUri"),
            "payload_format": payload_format,
            "timeout_ms": timeout_ms,
        },
    )
    return integration_id, {**inputs, "payloadFormatVersion": payload_format, "timeoutMilliseconds": timeout_ms}


def create_route(p: Provisioner, logical: str, inputs: Inputs) -> tuple[str, State]:
    route_id = _short_id(p, ROUTE, logical, 7)
    authorization_type = inputs.get("authorizationType") or "NONE"
    if authorization_type not in ("NONE", "JWT"):
        raise ValueError(
            f"Route '{logical}': the embedded cloud enforces JWT authorizers only, not {authorization_type}"
        )
    if authorization_type == "JWT" and not inputs.get("authorizerId"):
        raise ValueError(f"Route '{logical}': authorization type JWT needs an authorizer_id")
    p.record(
        "http_routes",
        {
            "api_id": inputs["apiId"],
            "route_key": inputs["routeKey"],
            "target": inputs.get("target"),
            "authorization_type": authorization_type,
            "authorizer_id": inputs.get("authorizerId"),
            "authorization_scopes": list(inputs.get("authorizationScopes") or []),
        },
    )
    return route_id, dict(inputs)


def create_authorizer(p: Provisioner, logical: str, inputs: Inputs) -> tuple[str, State]:
    if inputs.get("authorizerType") != "JWT":
        raise ValueError(f"Authorizer '{logical}': the embedded cloud enforces JWT authorizers only")
    jwt = inputs.get("jwtConfiguration") or {}
    if not jwt.get("issuer") or not jwt.get("audiences"):
        # API Gateway refuses a JWT authorizer without an issuer and at least one audience.
        raise ValueError(f"Authorizer '{logical}': a JWT authorizer needs an issuer and audiences")
    sources = list(inputs.get("identitySources") or [])
    if len(sources) != 1:
        raise ValueError(f"Authorizer '{logical}': a JWT authorizer takes exactly one identity source")
    authorizer_id = _short_id(p, AUTHORIZER, logical, 6)
    p.record(
        "http_authorizers",
        {
            "id": authorizer_id,
            "api_id": inputs["apiId"],
            "issuer": jwt["issuer"],
            "audiences": list(jwt["audiences"]),
            "identity_source": sources[0],
        },
    )
    return authorizer_id, dict(inputs)


def create_stage(p: Provisioner, logical: str, inputs: Inputs) -> tuple[str, State]:
    name = inputs["name"]
    api_id = inputs["apiId"]
    p.record("http_stages", {"api_id": api_id, "name": name})
    return name, {
        **inputs,
        "invokeUrl": stage_invoke_url(api_id, name),
        "executionArn": f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{api_id}/{name}",
        "arn": f"arn:aws:apigateway:{REGION}::/apis/{api_id}/stages/{name}",
    }


def create_deployment(p: Provisioner, logical: str, inputs: Inputs) -> tuple[str, State]:
    return _short_id(p, DEPLOYMENT, logical, 6), dict(inputs)


HANDLERS: dict[str, Handler] = {
    API: create_api,
    INTEGRATION: create_integration,
    ROUTE: create_route,
    STAGE: create_stage,
    DEPLOYMENT: create_deployment,
    AUTHORIZER: create_authorizer,
}
