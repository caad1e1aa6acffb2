"""SNS topics, subscriptions and topic policies."""

from __future__ import annotations

import json
from typing import Any

from localcloud.provisioning.resources.base import Handler, Inputs, Provisioner, State, tag_list

TOPIC = "aws:sns/topic:Topic"
TOPIC_SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"

_TOPIC_ATTRIBUTES = {
    "displayName": "DisplayName",
    "policy": "Policy",
    "deliveryPolicy": "DeliveryPolicy",
    "kmsMasterKeyId": "KmsMasterKeyId",
    "contentBasedDeduplication": "ContentBasedDeduplication",
    "signatureVersion": "SignatureVersion",
    "tracingConfig": "TracingConfig",
}
_SUBSCRIPTION_ATTRIBUTES = {
    "rawMessageDelivery": "RawMessageDelivery",
    "filterPolicy": "FilterPolicy",
    "filterPolicyScope": "FilterPolicyScope",
    "redrivePolicy": "RedrivePolicy",
    "deliveryPolicy": "DeliveryPolicy",
}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def create_topic(p: Provisioner, logical: str, inputs: Inputs) -> tuple[str, State]:
    fifo = bool(inputs.get("fifoTopic"))
    name = p.name(inputs, logical, TOPIC, 256, suffix=".fifo" if fifo else "")
    attributes = {attr: _text(inputs[key]) for key, attr in _TOPIC_ATTRIBUTES.items() if inputs.get(key)}
    if fifo:
        attributes["FifoTopic"] = "true"
    kwargs: dict[str, Any] = {"Name": name, "Attributes": attributes}
    if tags := tag_list(inputs):
        kwargs["Tags"] = tags
    topic_arn = p.client("sns").create_topic(**kwargs)["TopicArn"]
    return topic_arn, {**inputs, "name": name, "arn": topic_arn}


def create_subscription(p: Provisioner, logical: str, inputs: Inputs) -> tuple[str, State]:
    protocol = inputs["protocol"]
    attributes = {
        attr: _text(inputs[key]) for key, attr in _SUBSCRIPTION_ATTRIBUTES.items() if inputs.get(key) not in (None, "")
    }
    if protocol in ("sqs", "sms", "email", "email-json", "http", "https", "application"):
        subscription_arn = p.client("sns").subscribe(
            TopicArn=inputs["topic"],
            Protocol=protocol,
            Endpoint=inputs["endpoint"],
            Attributes=attributes,
            ReturnSubscriptionArn=True,
        )["SubscriptionArn"]
    else:
        # moto cannot deliver to Lambda/Firehose; keep a record so the wiring is visible.
        subscription_arn = f"{inputs['topic']}:{logical}"
        p.record("unsimulated_subscriptions", {"logical_name": logical, **inputs})
    return subscription_arn, {**inputs, "arn": subscription_arn}


def create_topic_policy(p: Provisioner, logical: str, inputs: Inputs) -> tuple[str, State]:
    json.loads(inputs["policy"])
    p.client("sns").set_topic_attributes(
        TopicArn=inputs["arn"], AttributeName="Policy", AttributeValue=inputs["policy"]
    )
    return inputs["arn"], dict(inputs)


HANDLERS: dict[str, Handler] = {
    TOPIC: create_topic,
    TOPIC_SUBSCRIPTION: create_subscription,
    TOPIC_POLICY: create_topic_policy,
}
