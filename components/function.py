"""One Lambda function with its own role, its own log group and nothing more than it needs."""

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components import policies
from components.packaging import function_bundle
from components.settings import StackSettings


@dataclass
class FunctionArgs:
    context: str
    handler: str
    environment: dict[str, pulumi.Input[str]]
    # What the function may do besides writing its own logs.
    permissions: pulumi.Input[list[policies.Statement]]
    timeout_seconds: int | None = None
    # Lambda's reserved concurrency; None shares the account's unreserved pool.
    reserved_concurrency: int | None = None
    # The key of the function's log group: its log lines carry customer data.
    log_key_arn: pulumi.Input[str] | None = None


class ContextFunction(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        args: FunctionArgs,
        settings: StackSettings,
        layers: Sequence[pulumi.Input[str]],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("saga:context:Function", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        stack = pulumi.get_stack()
        self.timeout_seconds = args.timeout_seconds or settings.function_timeout_seconds

        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/aws/lambda/{pulumi.get_project()}-{stack}/{name}",
            retention_in_days=settings.function_log_retention_days,
            kms_key_id=args.log_key_arn,
            opts=child,
        )
        self.role = aws.iam.Role(
            f"{name}-role",
            # Our account only. Not aws:SourceArn: the function's ARN is not known before its role,
            # and Lambda does not promise to send it when it assumes an execution role.
            assume_role_policy=aws.get_caller_identity_output().account_id.apply(
                lambda account_id: policies.assume_role("lambda.amazonaws.com", account_id)
            ),
            opts=child,
        )
        policy = pulumi.Output.all(self.log_group.arn, args.permissions).apply(
            lambda values: policies.document([policies.write_logs(values[0]), *values[1]])
        )
        self.role_policy = aws.iam.RolePolicy(f"{name}-policy", role=self.role.id, policy=policy, opts=child)
        self.function = aws.lambda_.Function(
            f"{name}-fn",
            runtime="python3.11",
            architectures=["x86_64"],
            handler=args.handler,
            code=function_bundle(args.context),
            role=self.role.arn,
            timeout=self.timeout_seconds,
            memory_size=settings.function_memory_mb,
            reserved_concurrent_executions=args.reserved_concurrency,
            layers=list(layers),
            environment=aws.lambda_.FunctionEnvironmentArgs(
                variables={
                    "POWERTOOLS_SERVICE_NAME": args.context,
                    "POWERTOOLS_METRICS_NAMESPACE": "OrderSaga",
                    **_logging_environment(settings),
                    **args.environment,
                }
            ),
            # JSON: Lambda filters its own lines by level only in that format.
            logging_config=aws.lambda_.FunctionLoggingConfigArgs(
                log_format="JSON", log_group=self.log_group.name, system_log_level=settings.system_log_level
            ),
            # The role's policy must exist before the function first runs.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.role_policy]),
        )
        self.register_outputs({"functionName": self.function.name, "roleArn": self.role.arn})


def _logging_environment(settings: StackSettings) -> dict[str, str]:
    # Powertools' own variables rather than the function's LoggingConfig.ApplicationLogLevel: Lambda
    # would drop the DEBUG lines of a sampled invocation that Powertools lets through.
    variables = {"POWERTOOLS_LOG_LEVEL": settings.log_level}
    if settings.log_sample_rate:
        variables["POWERTOOLS_LOGGER_SAMPLE_RATE"] = str(settings.log_sample_rate)
    return variables
