"""IAM policy documents as plain data.

Least privilege: no wildcard actions, and only one context's own resources.
"""

import json
from collections.abc import Sequence
from typing import Any

Statement = dict[str, Any]

TABLE_READ = ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"]
TABLE_WRITE = [
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:ConditionCheckItem",
]
STREAM_READ = [
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:ListStreams",
]
QUEUE_CONSUME = [
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:ChangeMessageVisibility",
]


def document(statements: Sequence[Statement]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, sort_keys=True)


def assume_role(service: str) -> str:
    return document([{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}])


def write_logs(log_group_arn: str) -> Statement:
    return {
        "Sid": "WriteOwnLogs",
        "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        # Lambda names its log streams itself: the one wildcard we allow, inside our own group.
        "Resource": [f"{log_group_arn.removesuffix(':*')}:log-stream:*"],
    }


def use_tables(table_arns: Sequence[str], write: bool = True) -> Statement:
    return {
        "Sid": "UseOwnTables",
        "Effect": "Allow",
        "Action": TABLE_READ + (TABLE_WRITE if write else []),
        "Resource": sorted(table_arns),
    }


def read_stream(stream_arn: str) -> Statement:
    return {
        "Sid": "ReadOwnTableStream",
        "Effect": "Allow",
        "Action": STREAM_READ,
        "Resource": [stream_arn],
    }


def consume_queue(queue_arn: str) -> Statement:
    return {
        "Sid": "ConsumeOwnQueue",
        "Effect": "Allow",
        "Action": QUEUE_CONSUME,
        "Resource": [queue_arn],
    }


def send_to_queue(queue_arn: str, sid: str) -> Statement:
    return {"Sid": sid, "Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": [queue_arn]}


def publish_to_topics(topic_arns: Sequence[str]) -> Statement:
    return {"Sid": "PublishToOwnTopics", "Effect": "Allow", "Action": ["sns:Publish"], "Resource": sorted(topic_arns)}


def publish_as(bus_arn: str, source: str) -> Statement:
    """PutEvents on the global bus, and only with this context's own source."""
    return {
        "Sid": "PublishOwnEvents",
        "Effect": "Allow",
        "Action": ["events:PutEvents"],
        "Resource": [bus_arn],
        "Condition": {"StringEquals": {"events:source": source}},
    }


def forward_to_bus(bus_arn: str) -> Statement:
    return {
        "Sid": "ForwardToPrivateBus",
        "Effect": "Allow",
        "Action": ["events:PutEvents"],
        "Resource": [bus_arn],
    }


def allow_rules_to_send(queue_arn: str, rule_arns: Sequence[str]) -> str:
    """Queue policy: EventBridge may deliver here, but only for these rules."""
    return document(
        [
            {
                "Sid": "EventBridgeRulesDeliver",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": sorted(rule_arns)}},
            }
        ]
    )
