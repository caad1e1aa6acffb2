"""Notification's business operation: tell the customer how their order ended, on the customer topic.

Published from code (not an EventBridge → SNS target) so every message goes through the queue,
its retries and its dead-letter queue, and is sent once per event. The SNS client and the topic
are handed in by the adapter.
"""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from saga_events.services import MetricsRecorder

from notification.messages import CustomerMessage, order_cancelled, order_confirmed


class NotificationService:
    def __init__(self, sns_client: Any, topic_arn: str, *, metrics: MetricsRecorder) -> None:
        self._sns = sns_client
        self.topic_arn = topic_arn
        self._metrics = metrics

    def tell_confirmed(self, order_id: str, customer_id: str, cause_id: str) -> CustomerMessage:
        return self._send(order_confirmed(order_id, customer_id), cause_id)

    def tell_cancelled(self, order_id: str, customer_id: str, reason: str, cause_id: str) -> CustomerMessage:
        return self._send(order_cancelled(order_id, customer_id, reason), cause_id)

    def _send(self, message: CustomerMessage, cause_id: str) -> CustomerMessage:
        self._sns.publish(
            TopicArn=self.topic_arn,
            Subject=message.subject,
            Message=message.body,
            # Subscribers filter on these: one customer's channel, one kind of news.
            MessageAttributes={
                "customerId": {"DataType": "String", "StringValue": message.customer_id},
                "orderId": {"DataType": "String", "StringValue": message.order_id},
                "kind": {"DataType": "String", "StringValue": message.kind},
                "eventId": {"DataType": "String", "StringValue": cause_id},
            },
        )
        self._metrics.add_metric(name="CustomersNotified", unit=MetricUnit.Count, value=1)
        return message
