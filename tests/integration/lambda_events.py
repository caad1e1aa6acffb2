"""Kept for existing imports: the Lambda event shapes now live in tests.harness.lambda_events."""

from tests.harness.lambda_events import (
    ACCOUNT,
    REGION,
    LambdaContextStub,
    eventbridge_envelope,
    record_for,
    sqs_event,
    sqs_record,
)

__all__ = [
    "ACCOUNT",
    "REGION",
    "LambdaContextStub",
    "eventbridge_envelope",
    "record_for",
    "sqs_event",
    "sqs_record",
]
