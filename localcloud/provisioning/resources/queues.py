"""SQS queues and their policies."""

from __future__ import annotations

import json
from typing import Any

from localcloud.provisioning.resources.base import Handler, Inputs, Provisioner, State, arn

QUEUE = "aws:sqs/queue:Queue"
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
REDRIVE_POLICY = "aws:sqs/redrivePolicy:RedrivePolicy"
REDRIVE_ALLOW_POLICY = "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy"

# pulumi-aws input → SQS attribute; every value travels as a string.
_ATTRIBUTES = {
    "delaySeconds": "DelaySeconds",
    "maxMessageSize": "MaximumMessageSize",
    "messageRetentionSeconds": "MessageRetentionPeriod",
    "receiveWaitTimeSeconds": "ReceiveMessageWaitTimeSeconds",
    "visibilityTimeoutSeconds": "VisibilityTimeout",
    "redrivePolicy": "RedrivePolicy",
    "redriveAllowPolicy": "RedriveAllowPolicy",
    "policy": "Policy",
    "fifoQueue": "FifoQueue",
    "contentBasedDeduplication": "ContentBasedDeduplication",
    "deduplicationScope": "DeduplicationScope",
    "fifoThroughputLimit": "FifoThroughputLimit",
    "kmsMasterKeyId": "KmsMasterKeyId",
    "kmsDataKeyReusePeriodSeconds": "KmsDataKeyReusePeriodSeconds",
    "sqsManagedSseEnabled": "SqsManagedSseEnabled",
}


def _attribute_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def create_queue(p: Provisioner, logical: str, inputs: Inputs) -> tuple[str, State]:
    fifo = bool(inputs.get("fifoQueue"))
    name = p.name(inputs, logical, QUEUE, 80, suffix=".fifo" if fifo else "")
    if fifo != name.endswith(".fifo"):
        raise ValueError(f"Queue '{logical}': a FIFO queue's name must end in .fifo and only then")
    attributes = {
        attribute: _attribute_value(inputs[key])
        for key, attribute in _ATTRIBUTES.items()
        if inputs.get(key) not in (None, "") and not (key == "fifoQueue" and not fifo)
    }
    if not fifo:
        attributes.pop("ContentBasedDeduplication", None)
    sqs = p.client("sqs")
    kwargs: dict[str, Any] = {"QueueName": name, "Attributes": attributes}
    if tags := inputs.get("tags"):
        kwargs["tags"] = tags
    url = sqs.create_queue(**kwargs)["QueueUrl"]
    queue_arn = arn("sqs", name)
    return url, {**inputs, "name": name, "url": url, "arn": queue_arn, "fifoQueue": fifo}


def _set_attribute(p: Provisioner, url: str, attribute: str, value: str) -> None:
    p.client("sqs").set_queue_attributes(QueueUrl=url, Attributes={attribute: value})


def create_queue_policy(p: Provisioner, logical: str, inputs: Inputs) -> tuple[str, State]:
    json.loads(inputs["policy"])
    _set_attribute(p, inputs["queueUrl"], "Policy", inputs["policy"])
    return inputs["queueUrl"], dict(inputs)


def create_redrive_policy(p: Provisioner, logical: str, inputs: Inputs) -> tuple[str, State]:
    _set_attribute(p, inputs["queueUrl"], "RedrivePolicy", inputs["redrivePolicy"])
    return inputs["queueUrl"], dict(inputs)


def create_redrive_allow_policy(p: Provisioner, logical: str, inputs: Inputs) -> tuple[str, State]:
    _set_attribute(p, inputs["queueUrl"], "RedriveAllowPolicy", inputs["redriveAllowPolicy"])
    return inputs["queueUrl"], dict(inputs)


HANDLERS: dict[str, Handler] = {
    QUEUE: create_queue,
    QUEUE_POLICY: create_queue_policy,
    REDRIVE_POLICY: create_redrive_policy,
    REDRIVE_ALLOW_POLICY: create_redrive_allow_policy,
}
