"""What Lambda hands a queue consumer: SQS records whose bodies EventBridge rules wrote."""

import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

REGION = "us-east-1"
ACCOUNT = "123456789012"


def eventbridge_envelope(cloudevent: dict[str, Any]) -> dict[str, Any]:
    """The event as an EventBridge rule delivers it to an SQS target: the CloudEvent is the detail."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": cloudevent["type"],
        "source": cloudevent["source"],
        "account": ACCOUNT,
        "time": cloudevent["time"],
        "region": REGION,
        "resources": [],
        "detail": cloudevent,
    }


def sqs_record(body: str, *, receive_count: int = 1, queue: str = "payment-queue") -> dict[str, Any]:
    return {
        "messageId": str(uuid.uuid4()),
        "receiptHandle": f"AQEB{uuid.uuid4().hex}",
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": str(receive_count),
            "SentTimestamp": "1767225600000",
            "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "ApproximateFirstReceiveTimestamp": "1767225600001",
        },
        "messageAttributes": {},
        "md5OfBody": hashlib.md5(body.encode()).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{queue}",
        "awsRegion": REGION,
    }


def record_for(cloudevent: dict[str, Any]) -> dict[str, Any]:
    return sqs_record(json.dumps(eventbridge_envelope(cloudevent)))


def sqs_event(*records: dict[str, Any]) -> dict[str, Any]:
    return {"Records": list(records)}


@dataclass
class LambdaContextStub:
    function_name: str = "payment-worker"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:payment-worker"
    aws_request_id: str = "c6af9ac6-7b61-11e6-9a41-93e812345678"
    log_group_name: str = "/aws/lambda/payment-worker"
    log_stream_name: str = "2026/01/01/[$LATEST]0123456789abcdef"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000
