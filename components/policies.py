"""IAM policy documents as plain data.

Least privilege: no wildcard actions, and only one context's own resources. Every statement that
lets an AWS service principal in names the account it must act for (`aws:SourceAccount`) and,
where the service says which resource it acts for, that resource (`aws:SourceArn`), so no other
account's rule, alarm or API can use the service as a confused deputy against ours.
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


def on_behalf_of(account_id: str, source_arns: Sequence[str] = (), *, arn_like: bool = False) -> dict[str, Any]:
    """The condition a service principal's statement carries: our account, and our resources."""
    condition: dict[str, Any] = {"StringEquals": {"aws:SourceAccount": account_id}}
    if source_arns:
        arns: str | list[str] = source_arns[0] if len(source_arns) == 1 else sorted(source_arns)
        condition["ArnLike" if arn_like else "ArnEquals"] = {"aws:SourceArn": arns}
    return condition


def assume_role(service: str, account_id: str, source_arns: Sequence[str] = ()) -> str:
    """A role only `service`, acting for our account (and for these resources), may assume."""
    return document(
        [
            {
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": "sts:AssumeRole",
                "Condition": on_behalf_of(account_id, source_arns),
            }
        ]
    )


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


def query_indexes(index_arns: Sequence[str]) -> Statement:
    """Query (only) the named secondary indexes of our own tables."""
    return {"Sid": "QueryOwnIndexes", "Effect": "Allow", "Action": ["dynamodb:Query"], "Resource": sorted(index_arns)}


def invoke_function(function_arn: str) -> Statement:
    return {
        "Sid": "InvokeOneFunction",
        "Effect": "Allow",
        "Action": ["lambda:InvokeFunction"],
        "Resource": [function_arn],
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


def allow_rules_to_send(queue_arn: str, rule_arns: Sequence[str], account_id: str) -> str:
    """Queue policy: EventBridge may deliver here, but only for these rules of our account."""
    return document(
        [
            {
                "Sid": "EventBridgeRulesDeliver",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account_id},
                    "ArnEquals": {"aws:SourceArn": sorted(rule_arns)},
                },
            }
        ]
    )


# What the account may do with a field key: manage it, never use it. Without kms:Decrypt here no
# IAM policy can grant it either, so the key policy alone says who reads the fields.
KEY_ADMINISTRATION = [
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
]
# What CloudWatch Logs does with a log group's key (AWS's documented key policy for log groups).
LOGS_KEY_USE = [
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
]


def _encryption_context_of(fields: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """Only our fields' contexts (see saga_events.sealing). A data key seals many orders' values, so
    the order is bound by each value's AES-GCM associated data, not here."""
    return {
        "StringEquals": {
            "kms:EncryptionContext:event": sorted({event for event, _ in fields}),
            "kms:EncryptionContext:field": sorted({field for _, field in fields}),
        },
    }


def field_key_policy(
    account_id: str,
    writer_role_arns: Sequence[str],
    reader_role_arns: Sequence[str],
    fields: Sequence[tuple[str, str]],
) -> str:
    """A context's field key: its producers' roles may make data keys under it, its own roles alone
    may decrypt them (envelope encryption, saga_events.sealing); nobody encrypts with it directly."""
    return document(
        [
            {
                "Sid": "AccountAdministersButCannotUseTheKey",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                "Action": KEY_ADMINISTRATION,
                "Resource": "*",
            },
            {
                "Sid": "ProducersMakeDataKeysForTheReader",
                "Effect": "Allow",
                "Principal": {"AWS": sorted(writer_role_arns)},
                "Action": ["kms:GenerateDataKey"],
                "Resource": "*",
                "Condition": _encryption_context_of(fields),
            },
            {
                "Sid": "ReaderDecryptsItsFields",
                "Effect": "Allow",
                "Principal": {"AWS": sorted(reader_role_arns)},
                "Action": ["kms:Decrypt"],
                "Resource": "*",
                "Condition": _encryption_context_of(fields),
            },
        ]
    )


def logs_key_policy(account_id: str, region: str, log_group_arns: Sequence[str]) -> str:
    """The key of log groups that hold customer data: CloudWatch Logs may use it for these groups only."""
    return document(
        [
            {
                "Sid": "AccountAdministersTheKey",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                "Action": KEY_ADMINISTRATION,
                "Resource": "*",
            },
            {
                "Sid": "CloudWatchLogsEncryptsOurLogGroups",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                "Action": LOGS_KEY_USE,
                "Resource": "*",
                "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": sorted(log_group_arns)}},
            },
        ]
    )


# What Step Functions needs to deliver an execution's log events to CloudWatch Logs. These are the
# "vended logs" delivery actions, which take no resource-level permission: AWS's documented policy
# for a state machine's logging grants them on "*", and this statement is the one place we do.
LOG_DELIVERY = [
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
]


def deliver_execution_logs() -> Statement:
    return {"Sid": "DeliverExecutionLogs", "Effect": "Allow", "Action": LOG_DELIVERY, "Resource": "*"}


def invoke_tasks(function_arns: Sequence[str]) -> Statement:
    """Invoke exactly these functions (the state machine's tasks), by their unqualified ARNs."""
    return {
        "Sid": "InvokeSagaTasks",
        "Effect": "Allow",
        "Action": ["lambda:InvokeFunction"],
        "Resource": sorted(function_arns),
    }


def start_executions(state_machine_arn: str) -> Statement:
    return {
        "Sid": "StartSagaExecutions",
        "Effect": "Allow",
        "Action": ["states:StartExecution"],
        "Resource": [state_machine_arn],
    }
