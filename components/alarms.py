"""Operations alarms: anything stuck, failing or throttled pages the operations topic."""

from typing import TYPE_CHECKING

import pulumi
import pulumi_aws as aws

if TYPE_CHECKING:
    from components.bounded_context import BoundedContext

FIVE_MINUTES = 300


def alarm(
    name: str,
    description: str,
    namespace: str,
    metric: str,
    dimensions: dict[str, pulumi.Input[str]],
    threshold: float,
    topic_arn: pulumi.Input[str],
    parent: pulumi.Resource,
    statistic: str = "Sum",
) -> aws.cloudwatch.MetricAlarm:
    return aws.cloudwatch.MetricAlarm(
        name,
        alarm_description=description,
        namespace=namespace,
        metric_name=metric,
        dimensions=dimensions,
        statistic=statistic,
        period=60,
        evaluation_periods=1,
        threshold=threshold,
        comparison_operator="GreaterThanThreshold",
        treat_missing_data="notBreaching",
        alarm_actions=[topic_arn],
        ok_actions=[topic_arn],
        opts=pulumi.ResourceOptions(parent=parent),
    )


def for_context(context: "BoundedContext", topic_arn: pulumi.Input[str]) -> None:
    name = context._name
    alarm(
        f"{name}-dlq-not-empty",
        f"{name}: messages are waiting in the dead-letter queue",
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
        {"QueueName": context.dead_letter_queue.name},
        0,
        topic_arn,
        context,
        statistic="Maximum",
    )
    if context.queue is not None:
        alarm(
            f"{name}-queue-stalled",
            f"{name}: the oldest message has waited too long",
            "AWS/SQS",
            "ApproximateAgeOfOldestMessage",
            {"QueueName": context.queue.name},
            context._args.settings.oldest_message_alarm_seconds,
            topic_arn,
            context,
            statistic="Maximum",
        )
    if context.forwarding_rule is not None:
        alarm(
            f"{name}-forwarding-failed",
            f"{name}: the global bus failed to forward events",
            "AWS/Events",
            "FailedInvocations",
            {
                "EventBusName": context._args.platform.bus.name,
                "RuleName": context.forwarding_rule.name,
            },
            0,
            topic_arn,
            context,
        )
    for function_name, function in context.functions.items():
        for metric in ("Errors", "Throttles"):
            alarm(
                f"{name}-{function_name}-{metric.lower()}",
                f"{name} {function_name}: {metric.lower()}",
                "AWS/Lambda",
                metric,
                {"FunctionName": function.function.name},
                0,
                topic_arn,
                context,
            )
