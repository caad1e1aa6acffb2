"""Operations alarms: anything stuck, failing or throttled pages the operations topic.

What each alarm watches and its threshold are in components/alarm_rules.py, shared with `ops health`.
"""

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from components.alarm_rules import (
    COMPARISON,
    EVALUATION_PERIODS,
    PERIOD_SECONDS,
    RULES,
    TREAT_MISSING_DATA,
    AlarmRule,
    Watched,
)


def alarm(
    name: str,
    description: str,
    rule: AlarmRule,
    dimensions: dict[str, pulumi.Input[str]],
    threshold: float,
    topic_arn: pulumi.Input[str],
    parent: pulumi.Resource,
) -> aws.cloudwatch.MetricAlarm:
    return aws.cloudwatch.MetricAlarm(
        name,
        alarm_description=description,
        namespace=rule.namespace,
        metric_name=rule.metric,
        dimensions=dimensions,
        statistic=rule.statistic,
        period=PERIOD_SECONDS,
        evaluation_periods=EVALUATION_PERIODS,
        threshold=threshold,
        comparison_operator=COMPARISON,
        treat_missing_data=TREAT_MISSING_DATA,
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
    for rule in RULES:
        threshold = rule.threshold_for(oldest_message_alarm_seconds)
        if rule.watches is Watched.DEAD_LETTER_QUEUE:
            watched = [(f"{name}-{rule.suffix}", f"{name}: {rule.says}", {"QueueName": dead_letter_queue.name})]
        elif rule.watches is Watched.QUEUE:
            watched = (
                [] if queue is None else [(f"{name}-{rule.suffix}", f"{name}: {rule.says}", {"QueueName": queue.name})]
            )
        elif rule.watches is Watched.FORWARDING_RULE:
            watched = (
                []
                if forwarding_rule is None
                else [
                    (
                        f"{name}-{rule.suffix}",
                        f"{name}: {rule.says}",
                        {"EventBusName": global_bus_name, "RuleName": forwarding_rule.name},
                    )
                ]
            )
        else:
            watched = [
                (
                    f"{name}-{function_name}-{rule.suffix}",
                    f"{name} {function_name}: {rule.says}",
                    {"FunctionName": f.name},
                )
                for function_name, f in functions.items()
            ]
        for alarm_name, description, dimensions in watched:
            alarm(alarm_name, description, rule, dimensions, threshold, topic_arn, context)
