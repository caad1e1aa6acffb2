"""Operations alarms: anything stuck, failing or throttled pages the operations topic."""

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

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


def for_context(
    context: pulumi.ComponentResource,
    name: str,
    *,
    dead_letter_queue: aws.sqs.Queue,
    queue: aws.sqs.Queue | None,
    forwarding_rule: aws.cloudwatch.EventRule | None,
    global_bus_name: pulumi.Input[str],
    functions: Mapping[str, aws.lambda_.Function],
    oldest_message_alarm_seconds: int,
    topic_arn: pulumi.Input[str],
) -> None:
    """The context's alarms, children of the context: a stuck queue, a failed forward, a failing function."""
    alarm(
        f"{name}-dlq-not-empty",
        f"{name}: messages are waiting in the dead-letter queue",
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
        {"QueueName": dead_letter_queue.name},
        0,
        topic_arn,
        context,
        statistic="Maximum",
    )
    if queue is not None:
        alarm(
            f"{name}-queue-stalled",
            f"{name}: the oldest message has waited too long",
            "AWS/SQS",
            "ApproximateAgeOfOldestMessage",
            {"QueueName": queue.name},
            oldest_message_alarm_seconds,
            topic_arn,
            context,
            statistic="Maximum",
        )
    if forwarding_rule is not None:
        alarm(
            f"{name}-forwarding-failed",
            f"{name}: the global bus failed to forward events",
            "AWS/Events",
            "FailedInvocations",
            {"EventBusName": global_bus_name, "RuleName": forwarding_rule.name},
            0,
            topic_arn,
            context,
        )
    for function_name, function in functions.items():
        for metric in ("Errors", "Throttles"):
            alarm(
                f"{name}-{function_name}-{metric.lower()}",
                f"{name} {function_name}: {metric.lower()}",
                "AWS/Lambda",
                metric,
                {"FunctionName": function.name},
                0,
                topic_arn,
                context,
            )
