"""The SQS consumer every context's worker is: unwrap, deduplicate, dispatch, report failures.

Built from Powertools as designed: `BatchProcessor` + `process_partial_response`
report only the failed messages back to SQS, and `idempotent_function` keyed on the
CloudEvent's `source` + `id` makes a redelivered event a no-op. A handler whose own
conditional writes already make a repeat change nothing and publish nothing is marked
`idempotent_by_its_writes` and skips the idempotency record: two writes (two write units) less per
event it handles. Of the happy path's handlers only notification's keeps one (SNS has no key).
"""

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError
from aws_lambda_powertools.utilities.typing import LambdaContext

from saga_events.errors import InvalidEvent, PublishFailed
from saga_events.events import IntegrationEvent
from saga_events.receiver import event_from_sqs_record

EventHandler = Callable[[IntegrationEvent], None]
REMEMBER_EVENTS_FOR = 14 * 24 * 3600
# "Not yet" for any consumer: EventBridge refused what the event caused (PublishFailed), or
# another delivery of the same event is being handled right now.
ALWAYS_RETRY_LATER: tuple[type[Exception], ...] = (PublishFailed, IdempotencyAlreadyInProgressError)
_OWN_WRITES_SUFFICE = "_idempotent_by_its_writes"


def idempotent_by_its_writes(handler: EventHandler) -> EventHandler:
    """Marks a handler that needs no idempotency record: a second run of the same event, in turn or
    at the same time as the first, changes nothing and publishes nothing, because every write it
    makes is conditional (the loser of a race fails and is retried) or rewrites the same item.

    Only for such handlers: one that calls an outside world without a key of its own (SNS), or
    announces an outcome again on a repeat, keeps its record, so a redelivery does not repeat that.
    A handler that announces marks the announcement in its own records (or, as payment's charge,
    records its outcome only once announced) and asks a gateway with the order's idempotency key."""
    setattr(handler, _OWN_WRITES_SUFFICE, True)
    return handler


class EventConsumer:
    """A Lambda handler for a context's queue, dispatching each event by (type, major version)."""

    def __init__(
        self,
        logger: Logger,
        handlers: Mapping[tuple[str, int], EventHandler],
        idempotency_table: str,
        dynamodb_client: Any,
        retry_later: Sequence[type[Exception]] = (),
    ) -> None:
        self.handlers = dict(handlers)
        # What this consumer's handlers raise to say "not yet, deliver it again" (its cause has not
        # arrived, a write lost a race, a dependency is briefly down): logged as a wait, while
        # anything else is logged as an error before SQS retries and then dead-letters it.
        self.retry_later: tuple[type[Exception], ...] = (*ALWAYS_RETRY_LATER, *retry_later)
        self._logger = logger
        # Report an all-failed batch item by item too, rather than as a function error: a retry
        # is ordinary here (a transient gateway error, an event that overtook its cause).
        self._processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
        # Remembered as long as SQS can hold a message (14 days), not Powertools' default hour:
        # a redelivery from a DLQ redrive days later must still be recognised.
        self._idempotency = IdempotencyConfig(
            event_key_jmespath="[source, id]", expires_after_seconds=REMEMBER_EVENTS_FOR
        )
        # The function's own client: left to itself, Powertools would open a new boto3 session,
        # which reads every AWS model file again (~50 ms more of every cold start).
        persistence = DynamoDBPersistenceLayer(table_name=idempotency_table, boto3_client=dynamodb_client)

        @idempotent_function(
            data_keyword_argument="cloudevent",
            config=self._idempotency,
            persistence_store=persistence,
        )
        def handle_once(cloudevent: dict[str, Any]) -> None:
            event = IntegrationEvent.from_cloudevent(cloudevent)
            self.handlers[(event.type, event.version)](event)

        self._handle_once = handle_once

    def lambda_handler(self, metrics: Metrics) -> Callable[[dict[str, Any], LambdaContext], dict[str, Any]]:
        """The function Lambda calls: flushes the business metrics and puts the Lambda context
        (request id, cold start) on every log line."""

        @metrics.log_metrics
        @self._logger.inject_lambda_context
        def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
            return self(event, context)

        return handle

    def __call__(self, lambda_event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        self._idempotency.register_lambda_context(context)
        return process_partial_response(
            event=lambda_event,
            record_handler=self._on_record,
            processor=self._processor,
            context=context,
        )

    def _on_record(self, record: SQSRecord) -> None:
        self._logger.remove_keys(["correlation_id", "event_type", "event_id"])
        try:
            event = event_from_sqs_record(record.body)
        except InvalidEvent as error:
            # Raising marks only this message failed: SQS retries it, then its redrive
            # policy moves it to the dead-letter queue, where an operator can read why.
            self._logger.error(
                "rejected invalid event",
                extra={"message_id": record.message_id, "reason": str(error)},
            )
            raise
        self._logger.append_keys(correlation_id=event.correlation_id, event_type=event.type, event_id=event.id)
        if (event.type, event.version) not in self.handlers:
            # The forwarding rule only lets through what the catalog says this context
            # consumes, so an event we cannot handle is a wiring fault: dead-letter it.
            raise InvalidEvent(f"no handler for {event.type} v{event.version}")
        self._logger.info("handling event")
        handler = self.handlers[(event.type, event.version)]
        try:
            if getattr(handler, _OWN_WRITES_SUFFICE, False):
                handler(event)
            else:
                self._handle_once(cloudevent=event.as_cloudevent())
        except self.retry_later as waiting:
            self._logger.info(
                "retry later",
                extra={"message_id": record.message_id, "reason": f"{type(waiting).__name__}: {waiting}"},
            )
            raise
        except Exception:
            self._logger.exception("failed to handle event", extra={"message_id": record.message_id})
            raise
