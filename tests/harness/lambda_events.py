"""What Lambda hands our functions: SQS batches written by EventBridge rules, DynamoDB stream
batches, API Gateway HTTP API (payload 2.0) requests, and a context object."""

import hashlib
import json
import time
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


def http_api_event(
    method: str,
    path: str,
    body: dict[str, Any] | None = None,
    *,
    request_id: str | None = None,
    customer: str | None = "customer-tests",
) -> dict[str, Any]:
    """An API Gateway HTTP API request (payload format 2.0) as Lambda receives it, with the claims
    the JWT authorizer let through for `customer` (its `sub`); None: a route without an authorizer."""
    now = time.time()
    event = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"content-type": "application/json", "host": "api.example", "user-agent": "contract-tests"},
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": "api",
            "domainName": "api.example",
            "domainPrefix": "api",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "192.0.2.1",
                "userAgent": "contract-tests",
            },
            "requestId": request_id or str(uuid.uuid4()),
            "routeKey": "$default",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "body": None if body is None else json.dumps(body),
        "isBase64Encoded": False,
    }
    if customer is not None:
        event["requestContext"]["authorizer"] = {
            "jwt": {"claims": {"sub": customer, "token_use": "access"}, "scopes": None}
        }
    return event


def dynamodb_insert_record(
    item: dict[str, Any], keys: tuple[str, ...], *, table_arn: str, sequence_number: int
) -> dict[str, Any]:
    """One INSERT of a DynamoDB stream (NEW_AND_OLD_IMAGES), as an event source mapping hands it over."""
    return {
        "eventID": uuid.uuid4().hex,
        "eventName": "INSERT",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": REGION,
        "dynamodb": {
            "ApproximateCreationDateTime": int(time.time()),
            "Keys": {key: item[key] for key in keys},
            "NewImage": item,
            "SequenceNumber": str(sequence_number).zfill(21),
            "SizeBytes": len(json.dumps(item)),
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
        "eventSourceARN": f"{table_arn}/stream/2026-01-01T00:00:00.000",
    }


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
