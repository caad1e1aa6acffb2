"""Shipping's Step Functions tasks (sagaStyle orchestration; the contract: saga_events/tasks.py):
schedule_shipment → {"shipmentId": ...} or CountryNotServed; cancel_shipment → {"calledOff": id | null}."""

import gc

# Lambda's init phase, to the last lines of this module: everything built here lives as long as the
# sandbox, so the cyclic collector would only scan it again and again (docs/performance.md).
gc.disable()

import os
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from saga_events import EventPublisher
from saga_events.sealing import FieldOpener
from saga_events.tasks import BusinessFailure, OrderCancelled, cancellation_cause, placed_event, task_handler

from shipping.domain import NotServed
from shipping.service import ShippingService
from shipping.store import ShipmentStore


class CountryNotServed(BusinessFailure):
    """The order ships to a country outside the stack's servedCountries; nothing is booked."""


logger = Logger(service="shipping")
metrics = Metrics(namespace="OrderSaga", service="shipping")
store = ShipmentStore(boto3.client("dynamodb"), os.environ["SHIPMENTS_TABLE"])
publisher = EventPublisher(boto3.client("events"), os.environ["EVENT_BUS_NAME"])
service = ShippingService(
    store,
    publisher,
    FieldOpener.from_environment(boto3.client("kms")),
    served_countries=os.environ["SERVED_COUNTRIES"].split(","),
    source=os.environ["EVENT_SOURCE"],
    logger=logger,
    metrics=metrics,
)


def schedule_shipment(saga: dict[str, Any]) -> dict[str, Any]:
    placed = placed_event(saga)
    # The destination first, from the execution's input: a repeat keeps what the first one wrote.
    service.note_destination(placed)
    booked = service.schedule_shipment(saga["orderId"], placed)
    if booked is None:
        raise OrderCancelled(f"order {saga['orderId']} was cancelled before its shipment")
    if isinstance(booked, NotServed):
        raise CountryNotServed(booked.country)
    return {"shipmentId": booked.shipment_id}


def cancel_shipment(saga: dict[str, Any]) -> dict[str, Any]:
    return {"calledOff": service.cancel_shipment(saga["orderId"], cancellation_cause(saga["orderId"]))}


actions = {"schedule_shipment": schedule_shipment, "cancel_shipment": cancel_shipment}
handle = metrics.log_metrics(task_handler(logger, actions))


# Init is over. Frozen, what it built is never scanned again: not by the first request either.
gc.freeze()
gc.enable()
