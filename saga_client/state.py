"""Reading every context's state for one order: what the e2e scenarios assert and the demo prints."""

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from saga_client.operations import every_item, get_order, plain, read_item, reservation
from saga_client.target import SagaTarget


def payment(target: SagaTarget, order_id: str) -> dict[str, Any] | None:
    return read_item(target, "payment", "payments", {"orderId": order_id})


def gateway_charges(target: SagaTarget, order_id: str) -> list[dict[str, Any]]:
    """What the (simulated) payment provider charged for the order: the money actually taken."""
    items = every_item(
        target.client("dynamodb"),
        "scan",
        TableName=target.table("payment", "gateway"),
        FilterExpression="begins_with(chargeKey, :charge) AND idempotencyKey = :key",
        ExpressionAttributeValues={":charge": {"S": "charge#"}, ":key": {"S": f"order-{order_id}"}},
        ConsistentRead=True,
    )
    return [plain(item) for item in items]


def shipment(target: SagaTarget, order_id: str) -> dict[str, Any] | None:
    return read_item(target, "shipping", "shipments", {"orderId": order_id})


def loyalty_ledger(target: SagaTarget, customer_id: str) -> list[dict[str, Any]]:
    items = every_item(
        target.client("dynamodb"),
        "query",
        TableName=target.table("loyalty", "ledger"),
        KeyConditionExpression="customerId = :c",
        ExpressionAttributeValues={":c": {"S": customer_id}},
        ConsistentRead=True,
    )
    return [plain(item) for item in items]


def loyalty_entries(target: SagaTarget, customer_id: str) -> tuple[tuple[str, str, int, str], ...]:
    """The customer's ledger, entry by entry: (order id, kind, points, when recorded). A net balance
    would hide an award and a revocation that were both counted twice."""
    return tuple(
        sorted(
            (entry["orderId"], entry["kind"], int(entry["points"]), entry["recordedAt"])
            for entry in loyalty_ledger(target, customer_id)
        )
    )


def gateway_key(target: SagaTarget, order_id: str) -> dict[str, Any] | None:
    """The (simulated) provider's record of the order's idempotency key: its attempts and outcome."""
    return read_item(target, "payment", "gateway", {"chargeKey": f"key#order-{order_id}"})


@dataclass
class NotificationInbox:
    """A queue subscribed to the customer notifications topic, as a customer's device would be."""

    target: SagaTarget
    queue_url: str
    subscription_arn: str
    received: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def subscribe(cls, target: SagaTarget) -> "NotificationInbox":
        sqs, sns = target.client("sqs"), target.client("sns")
        topic = target.context("notification")["topics"]["customer-notifications"]
        queue_url = sqs.create_queue(QueueName=f"saga-inbox-{uuid.uuid4().hex[:12]}")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "sns.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": queue_arn,
                    "Condition": {"ArnEquals": {"aws:SourceArn": topic}},
                }
            ],
        }
        sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"Policy": json.dumps(policy)})
        subscription = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, ReturnSubscriptionArn=True)
        return cls(target, queue_url, subscription["SubscriptionArn"])

    def messages_for(self, order_id: str) -> list[dict[str, Any]]:
        self._drain()
        return [m for m in self.received if m["orderId"] == order_id]

    def all_messages(self) -> list[dict[str, Any]]:
        """Every message the inbox has received so far, repeats included."""
        self._drain()
        return list(self.received)

    def close(self) -> None:
        self.target.client("sns").unsubscribe(SubscriptionArn=self.subscription_arn)
        self.target.client("sqs").delete_queue(QueueUrl=self.queue_url)

    def _drain(self) -> None:
        sqs = self.target.client("sqs")
        while True:
            messages = sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get(
                "Messages", []
            )
            if not messages:
                return
            for message in messages:
                notification = json.loads(message["Body"])
                attributes = {k: v["Value"] for k, v in notification.get("MessageAttributes", {}).items()}
                self.received.append(
                    {**attributes, "subject": notification.get("Subject"), "body": notification["Message"]}
                )
                sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])


@dataclass(frozen=True)
class SagaState:
    """Every context's view of one order."""

    order: dict[str, Any]
    reservation: dict[str, Any] | None
    payment: dict[str, Any] | None
    shipment: dict[str, Any] | None
    # Every ledger entry of the order's customer, not their sum.
    loyalty: tuple[tuple[str, str, int, str], ...]
    # The provider's view: one entry per charge ever taken, with its state (CAPTURED or REFUNDED).
    charges: tuple[str, ...]

    @classmethod
    def read(cls, target: SagaTarget, order_id: str) -> "SagaState":
        order = get_order(target, order_id).body
        return cls(
            order=order,
            reservation=reservation(target, order_id),
            payment=payment(target, order_id),
            shipment=shipment(target, order_id),
            loyalty=loyalty_entries(target, order["customerId"]),
            charges=tuple(charge["state"] for charge in gateway_charges(target, order_id)),
        )
