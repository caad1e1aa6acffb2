"""CloudWatch Logs groups and resource policies, CloudWatch alarms."""

from __future__ import annotations

from typing import Any

from localcloud.provisioning.resources.base import (
    Handler,
    Inputs,
    Provisioner,
    State,
    arn,
    as_int,
    drop_none,
    tag_list,
)

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
LOG_RESOURCE_POLICY = "aws:cloudwatch/logResourcePolicy:LogResourcePolicy"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


def create_log_group(p: Provisioner, logical: str, inputs: Inputs) -> tuple[str, State]:
    name = p.name(inputs, logical, LOG_GROUP, 512)
    logs = p.client("logs")
    kwargs = drop_none({"logGroupName": name, "kmsKeyId": inputs.get("kmsKeyId")})
    if tags := inputs.get("tags"):
        kwargs["tags"] = tags
    logs.create_log_group(**kwargs)
    if retention := as_int(inputs.get("retentionInDays")):
        logs.put_retention_policy(logGroupName=name, retentionInDays=retention)
    # The provider reports the ARN without moto's/AWS's trailing ":*".
    return name, {**inputs, "name": name, "arn": arn("logs", f"log-group:{name}")}


def create_log_resource_policy(p: Provisioner, logical: str, inputs: Inputs) -> tuple[str, State]:
    name = inputs["policyName"]
    p.client("logs").put_resource_policy(policyName=name, policyDocument=inputs["policyDocument"])
    return name, dict(inputs)


def _metric_query(query: dict[str, Any]) -> dict[str, Any]:
    out = drop_none(
        {
            "Id": query["id"],
            "Expression": query.get("expression"),
            "Label": query.get("label"),
            "ReturnData": query.get("returnData"),
            "Period": as_int(query.get("period")),
        }
    )
    if metric := query.get("metric"):
        out["MetricStat"] = drop_none(
            {
                "Metric": {
                    "Namespace": metric.get("namespace"),
                    "MetricName": metric["metricName"],
                    "Dimensions": [{"Name": k, "Value": v} for k, v in (metric.get("dimensions") or {}).items()],
                },
                "Period": as_int(metric["period"]),
                "Stat": metric["stat"],
                "Unit": metric.get("unit"),
            }
        )
    return out


def create_metric_alarm(p: Provisioner, logical: str, inputs: Inputs) -> tuple[str, State]:
    name = p.name(inputs, logical, METRIC_ALARM, 255)
    kwargs = drop_none(
        {
            "AlarmName": name,
            "AlarmDescription": inputs.get("alarmDescription"),
            "ActionsEnabled": inputs.get("actionsEnabled"),
            "AlarmActions": inputs.get("alarmActions"),
            "OKActions": inputs.get("okActions"),
            "InsufficientDataActions": inputs.get("insufficientDataActions"),
            "MetricName": inputs.get("metricName"),
            "Namespace": inputs.get("namespace"),
            "Statistic": inputs.get("statistic"),
            "ExtendedStatistic": inputs.get("extendedStatistic"),
            "Period": as_int(inputs.get("period")),
            "Unit": inputs.get("unit"),
            "EvaluationPeriods": as_int(inputs["evaluationPeriods"]),
            "DatapointsToAlarm": as_int(inputs.get("datapointsToAlarm")),
            "Threshold": inputs.get("threshold"),
            "ThresholdMetricId": inputs.get("thresholdMetricId"),
            "ComparisonOperator": inputs["comparisonOperator"],
            "TreatMissingData": inputs.get("treatMissingData"),
        }
    )
    if dimensions := inputs.get("dimensions"):
        kwargs["Dimensions"] = [{"Name": k, "Value": str(v)} for k, v in dimensions.items()]
    if queries := inputs.get("metricQueries"):
        kwargs["Metrics"] = [_metric_query(q) for q in queries]
    if tags := tag_list(inputs):
        kwargs["Tags"] = tags
    p.client("cloudwatch").put_metric_alarm(**kwargs)
    return name, {**inputs, "name": name, "arn": arn("cloudwatch", f"alarm:{name}")}


HANDLERS: dict[str, Handler] = {
    LOG_GROUP: create_log_group,
    LOG_RESOURCE_POLICY: create_log_resource_policy,
    METRIC_ALARM: create_metric_alarm,
}
