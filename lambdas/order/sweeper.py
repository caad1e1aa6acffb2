"""The sweeper: on its schedule, ends the sagas of orders still open after their deadline.

Thin: the open orders past their deadline come from the orders table's sparse index, and the
order's own rules (`overdue_step`) say what each needs. What it decides leaves through the outbox
with the order's change, in one transaction, as every order event does: a sweep run twice, or two
at once, changes an order once (the loser's conditional write fails and it moves on).
"""

import os
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from saga_events.events import derived_event_id

from order.domain import CancellationReason, OverdueStep, cancel, deadline_passed, overdue_step
from order.events import order_cancelled, order_deadline_passed
from order.store import OrderChanged, OrderStore

logger = Logger(service="order")
metrics = Metrics(namespace="OrderSaga", service="order")
dynamodb = boto3.client("dynamodb")
store = OrderStore(dynamodb, os.environ["ORDERS_TABLE"])
SOURCE = os.environ["EVENT_SOURCE"]
# How long payment has to answer order.deadline-passed before the order is cancelled anyway.
GRACE = timedelta(seconds=int(os.environ["ORDER_DEADLINE_GRACE_SECONDS"]))
# Orders one run resolves at most, so a run ends well within its timeout; the next run takes the rest.
ORDERS_PER_RUN = 100


def resolve(order_id: str, now: datetime, cause: str) -> OverdueStep:
    """Apply the order's overdue rule once; an order that moved meanwhile is left to the next run."""
    order = store.get(order_id)
    if order is None:
        return OverdueStep.NOTHING
    step = overdue_step(order, now, GRACE)
    try:
        if step is OverdueStep.ASK_PAYMENT:
            # One run causes events for many orders: an event's id derives from its cause and type,
            # so the order joins the cause here, or every order's event of one run would share one
            # id (and be dropped as repeats by their consumers). order.cancelled's id is the order's.
            event_id = derived_event_id(f"{cause}/{order_id}", "order.deadline-passed", 1)
            noted = deadline_passed(order, now)
            store.save(noted, [order_deadline_passed(noted, cause, now, source=SOURCE, event_id=event_id)], now)
        elif step is OverdueStep.CANCEL:
            cancelled = cancel(order, CancellationReason.TIMEOUT)
            assert cancelled is not None, "an open order is cancelled"
            detail = f"not decided by its deadline {order.deadline.isoformat() if order.deadline else ''}"
            event = order_cancelled(cancelled, cause, detail, now, source=SOURCE)
            store.save(cancelled, [event], now)
            metrics.add_metric(name="OrdersTimedOut", unit=MetricUnit.Count, value=1)
    except OrderChanged:
        logger.info("order moved while being swept; the next run looks again", extra={"order_id": order_id})
        return OverdueStep.NOTHING
    if step is not OverdueStep.NOTHING:
        logger.info("overdue order", extra={"order_id": order_id, "status": order.status.value, "step": step.name})
    return step


@metrics.log_metrics
@logger.inject_lambda_context
def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # EventBridge Scheduler's input (components/schedule.py): its execution id names this run as
    # the cause of what it publishes; invoked otherwise, the Lambda request id does.
    cause = (event or {}).get("executionId") or context.aws_request_id
    logger.append_keys(scheduled_time=(event or {}).get("scheduledTime"))
    now = datetime.now(UTC)
    steps = Counter(resolve(order_id, now, cause).name for order_id in store.overdue(now, ORDERS_PER_RUN))
    steps.pop(OverdueStep.NOTHING.name, None)
    return {"resolved": dict(steps)}
