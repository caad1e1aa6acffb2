"""The order's Step Functions tasks (sagaStyle orchestration; the contract: saga_events/tasks.py):
confirm_order → {"status": "CONFIRMED"} or OrderCancelled; cancel_order, after the compensations ran,
→ {"status": "CANCELLED", "reason": ...}, with the same reasons as a choreographed cancellation."""

import gc

# Lambda's init phase, to the last lines of this module: everything built here lives as long as the
# sandbox, so the cyclic collector would only scan it again and again (docs/performance.md).
gc.disable()

import json
import os
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from saga_events.tasks import OrderCancelled, SagaInputInvalid, placed_event, task_handler

from order.domain import OrderStatus, reason_for_step_failure
from order.service import OrderService
from order.store import OrderStore

logger = Logger(service="order")
metrics = Metrics(namespace="OrderSaga", service="order")
store = OrderStore(boto3.client("dynamodb"), os.environ["ORDERS_TABLE"])
service = OrderService(store, source=os.environ["EVENT_SOURCE"], logger=logger, metrics=metrics)


def confirm_order(saga: dict[str, Any]) -> dict[str, Any]:
    order = service.confirm(saga["orderId"], placed_event(saga).id)
    if order.status is OrderStatus.CANCELLED:
        raise OrderCancelled(f"order {order.order_id} was cancelled before its confirmation")
    return {"status": order.status.value}


def cancel_order(saga: dict[str, Any]) -> dict[str, Any]:
    failure = saga.get("failure") or {}
    error = failure.get("Error", "States.Runtime")
    order = service.order(saga["orderId"])
    reason = reason_for_step_failure(error)
    if reason is not None:
        detail = f"{error} in the orchestrated saga: {_message(failure.get('Cause'))}"
        cancelled = service.cancel(order, reason, _cause_id(saga), detail)
        order = cancelled or service.order(order.order_id)
    return {
        "status": order.status.value,
        "reason": order.cancellation_reason.value if order.cancellation_reason else None,
    }


def _cause_id(saga: dict[str, Any]) -> str:
    """The order.placed the saga started from; the order's own, from its timeline, when the input's
    cannot be trusted (nothing of an invalid input is used, not even to name a cause)."""
    try:
        return placed_event(saga).id
    except SagaInputInvalid:
        return service.placed_event_id(saga["orderId"])


def _message(cause: str | None) -> str:
    """A Lambda error's Cause is its JSON error object; anything else is kept as it is."""
    try:
        return str(json.loads(cause or "")["errorMessage"])
    except (ValueError, KeyError, TypeError):
        return cause or "no cause given"


actions = {"confirm_order": confirm_order, "cancel_order": cancel_order}
handle = metrics.log_metrics(task_handler(logger, actions))


# Init is over. Frozen, what it built is never scanned again: not by the first request either.
gc.freeze()
gc.enable()
