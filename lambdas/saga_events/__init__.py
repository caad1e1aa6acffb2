"""The integration-event library every function shares: build, validate, publish, receive.

Events are CloudEvents 1.0 in structured JSON mode carried as the EventBridge
`Detail`; `Source` and `DetailType` are copies of the CloudEvent's `source` and
`type`. See contracts/ for the schemas and the catalog.
"""

from saga_events.errors import InvalidEvent, PublishFailed
from saga_events.events import IntegrationEvent, new_event
from saga_events.publisher import EventPublisher
from saga_events.receiver import event_from_sqs_record

__all__ = [
    "EventPublisher",
    "IntegrationEvent",
    "InvalidEvent",
    "PublishFailed",
    "event_from_sqs_record",
    "new_event",
]
