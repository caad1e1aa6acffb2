"""The outbox relay: the orders table's stream → the global bus.

Fed only with outbox INSERTs (the event source mapping's filter). Stream records
arrive at least once, and the stored event keeps its id, so a re-publish is a
duplicate every consumer drops. On a stack whose sagaStyle is orchestration (its
SAGA_STATE_MACHINE_ARN set) it also starts the order's execution from order.placed
(order/saga_start.py), after publishing it.
"""

import gc

# Lambda's init phase, to the last lines of this module: everything built here lives as long as the
# sandbox, so the cyclic collector would only scan it again and again (docs/performance.md).
gc.disable()

import json
import os

import botocore.session
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from saga_events import EventPublisher

from order.saga_start import SagaStarter

logger = Logger(service="order")
# A plain botocore client: boto3 (which builds its clients with the same botocore session) would
# also import s3transfer and its resource machinery, ~20 ms of every cold start of a function that
# needs neither, and nothing else here imports it.
publisher = EventPublisher(botocore.session.get_session().create_client("events"), os.environ["EVENT_BUS_NAME"])
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
# Only an orchestrated stack names a state machine; a choreographed one starts nothing.
_state_machine = os.environ.get("SAGA_STATE_MACHINE_ARN")
starter = (
    SagaStarter(botocore.session.get_session().create_client("stepfunctions"), _state_machine, logger)
    if _state_machine
    else None
)


def publish_outbox_record(record: DynamoDBRecord) -> None:
    image = record.dynamodb.new_image if record.dynamodb else None
    if not image or image.get("kind") != "outbox":
        return
    event = json.loads(image["event"])
    publisher.publish([event])
    if starter is not None and starter.starts_with(event):
        starter.start(event)
    logger.info(
        "published from outbox",
        extra={
            "event_type": event["type"],
            "event_id": event["id"],
            "correlation_id": event["correlationid"],
        },
    )


@logger.inject_lambda_context
def handle(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(
        event=event, record_handler=publish_outbox_record, processor=processor, context=context
    )


# Init is over. Frozen, what it built is never scanned again: not by the first request either.
gc.freeze()
gc.enable()
