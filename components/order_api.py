"""The order context's public door: an API Gateway HTTP API in front of the API function.

Every order route sits behind a JWT authorizer: a request without a valid token from the
customers' issuer never reaches the function. Only the OpenAPI document is public.
"""

import pulumi
import pulumi_aws as aws

from components.alarm_rules import API_SERVER_ERRORS
from components.alarms import alarm
from components.function import ContextFunction
from components.identity import CustomerIdentity


class OrderHttpApi(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        function: ContextFunction,
        operations_topic_arn: pulumi.Input[str],
        log_retention_days: int,
        identity: CustomerIdentity,
        throttling_rate_limit: float,
        throttling_burst_limit: int,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("saga:order:HttpApi", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        self.api = aws.apigatewayv2.Api(f"{name}-api", protocol_type="HTTP", opts=child)
        integration = aws.apigatewayv2.Integration(
            f"{name}-integration",
            api_id=self.api.id,
            integration_type="AWS_PROXY",
            integration_uri=function.function.arn,
            payload_format_version="2.0",
            opts=child,
        )
        target = integration.id.apply(lambda integration_id: f"integrations/{integration_id}")
        customers = aws.apigatewayv2.Authorizer(
            f"{name}-customers",
            api_id=self.api.id,
            authorizer_type="JWT",
            identity_sources=["$request.header.Authorization"],
            jwt_configuration=aws.apigatewayv2.AuthorizerJwtConfigurationArgs(
                issuer=identity.issuer, audiences=identity.audiences
            ),
            opts=child,
        )
        # Every other path goes to the function, token first: its resolver owns the order routes.
        aws.apigatewayv2.Route(
            f"{name}-default-route",
            api_id=self.api.id,
            route_key="$default",
            target=target,
            authorization_type="JWT",
            authorizer_id=customers.id,
            opts=child,
        )
        # The one public route: API Gateway prefers it to $default for exactly this request.
        aws.apigatewayv2.Route(
            f"{name}-openapi-route",
            api_id=self.api.id,
            route_key="GET /openapi.json",
            target=target,
            authorization_type="NONE",
            opts=child,
        )
        access_log = aws.cloudwatch.LogGroup(
            f"{name}-access-log",
            name=f"/aws/apigateway/{pulumi.get_project()}-{pulumi.get_stack()}/{name}",
            retention_in_days=log_retention_days,
            opts=child,
        )
        self.stage = aws.apigatewayv2.Stage(
            f"{name}-stage",
            api_id=self.api.id,
            name="$default",
            auto_deploy=True,
            access_log_settings=aws.apigatewayv2.StageAccessLogSettingsArgs(
                destination_arn=access_log.arn,
                format='{"requestId":"$context.requestId","method":"$context.httpMethod",'
                '"path":"$context.path","status":"$context.status","latency":"$context.responseLatency"}',
            ),
            default_route_settings=aws.apigatewayv2.StageDefaultRouteSettingsArgs(
                throttling_burst_limit=throttling_burst_limit, throttling_rate_limit=throttling_rate_limit
            ),
            opts=child,
        )
        aws.lambda_.Permission(
            f"{name}-invoke",
            action="lambda:InvokeFunction",
            function=function.function.name,
            principal="apigateway.amazonaws.com",
            # Only this API's routes, in our account, may invoke the function.
            source_arn=self.api.execution_arn.apply(lambda arn: f"{arn}/*/*"),
            source_account=aws.get_caller_identity_output().account_id,
            opts=child,
        )
        alarm(
            f"{name}-{API_SERVER_ERRORS.suffix}",
            f"order API: {API_SERVER_ERRORS.says}",
            API_SERVER_ERRORS,
            {"ApiId": self.api.id, "Stage": "$default"},
            API_SERVER_ERRORS.threshold_for(0),
            operations_topic_arn,
            self,
        )
        self.url = self.api.api_endpoint
        self.register_outputs({"url": self.url})
