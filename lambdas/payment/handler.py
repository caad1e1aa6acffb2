"""Payment's worker: order.placed → note the intent; inventory.reserved → charge; order.cancelled → refund;
order.deadline-passed → settle a charge in doubt with the gateway and report its real outcome."""

import gc

# Lambda's init phase, to the last lines of this module: everything built here lives as long as the
# sandbox, so the cyclic collector would only scan it again and again (docs/performance.md).
gc.disable()

import os

import boto3
from aws_lambda_powertools import Logger, Metrics
from saga_events import EventPublisher, IntegrationEvent
from saga_events.consumer import EventConsumer, idempotent_by_its_writes
from saga_events.sealing import FieldOpener

from payment.domain import ChargeInFlight, IntentNotYetKnown
from payment.gateway import GatewayUnavailable, SimulatedGateway
from payment.service import PaymentService
from payment.store import PaymentChanged, PaymentStore

logger = Logger(service="payment")
metrics = Metrics(namespace="OrderSaga", service="payment")
_dynamodb = boto3.client("dynamodb")
store = PaymentStore(_dynamodb, os.environ["PAYMENTS_TABLE"])
gateway = SimulatedGateway(_dynamodb, os.environ["GATEWAY_TABLE"])
publisher = EventPublisher(boto3.client("events"), os.environ["EVENT_BUS_NAME"])
service = PaymentService(
    store,
    gateway,
    publisher,
    FieldOpener.from_environment(boto3.client("kms")),
    source=os.environ["EVENT_SOURCE"],
    logger=logger,
    metrics=metrics,
)


# No idempotency record: its one write is a put on condition that the order has no record yet, so a
# repeat (or a twin running at once) is refused by the table and keeps what the first one wrote.
@idempotent_by_its_writes
def note_payment_intent(placed: IntegrationEvent) -> None:
    service.note_payment_intent(placed)


def charge_payment(reserved: IntegrationEvent) -> None:
    service.charge_payment(reserved.data["orderId"], reserved)


def refund_payment(cancelled: IntegrationEvent) -> None:
    service.refund_payment(cancelled.data["orderId"], cancelled.data["customerId"], cancelled)


def settle_at_deadline(passed: IntegrationEvent) -> None:
    service.settle_at_deadline(passed.data["orderId"], passed.data["customerId"], passed)


consume = EventConsumer(
    logger,
    {
        ("order.placed", 3): note_payment_intent,
        ("inventory.reserved", 1): charge_payment,
        ("order.cancelled", 1): refund_payment,
        ("order.deadline-passed", 1): settle_at_deadline,
    },
    idempotency_table=os.environ["IDEMPOTENCY_TABLE"],
    dynamodb_client=_dynamodb,
    retry_later=(
        IntentNotYetKnown,
        ChargeInFlight,
        GatewayUnavailable,
        PaymentChanged,
    ),
)

handle = consume.lambda_handler(metrics)


# Init is over. Frozen, what it built is never scanned again: not by the first request either.
gc.freeze()
gc.enable()
