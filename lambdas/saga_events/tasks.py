"""The contract every Step Functions task handler (`lambdas/<context>/task.py`) keeps, for stacks whose
sagaStyle is `orchestration` (the state machine: components/order_orchestrator.py).

Input, one JSON object:
    {"action": "<the step's action or compensation, from contracts/catalog.yaml>",
     "saga": {"orderId": "...",
              "placed": <order.placed v3, the CloudEvent the execution was started with>,
              "<StepName>": {"outcome": <that step's task output>}, ...   # the steps done so far
              "failure": {"Error": "...", "Cause": "..."}}}   # on the compensating path only

Output: a JSON object (the state machine keeps it at $.<StepName>.outcome, or $.Undo<StepName>.outcome
for a compensation).

A business failure is raised as a `BusinessFailure` whose class name is the error name the
state machine's Catch matches (Lambda reports a Python exception's class name as `errorType`);
an input that breaks the contract above (an execution started by hand, a stale redrive) is the
business failure `SagaInputInvalid`, raised before the step acts on any of it;
a transient error (a lost race, the gateway briefly down) is raised as the context's own
exception, which the step's Retry names. Anything else fails the task and ends in the same
compensation path once the retries are spent.

Every task publishes the outcome events its context publishes in choreography, caused by the
saga's first event (order.placed), so the event log, loyalty and notifications see the same
facts. Compensations are caused by `cancellation_cause`: the order.cancelled the order context
will publish once they ran carries its id, so a participant that also receives that
order.cancelled derives the very same outcome ids, and consumers drop the duplicates.
"""

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from saga_events.errors import InvalidEvent
from saga_events.events import IntegrationEvent, cancellation_id
from saga_events.validation import validate_event

Action = Callable[[dict[str, Any]], dict[str, Any]]
# The event an execution starts from (order/saga_start.py starts one per order's): this version
# carries what every task needs, the payment token and the address each encrypted for the one
# context that reads it.
STARTING_EVENT = ("order.placed", 3)


class BusinessFailure(Exception):
    """A step that cannot be done for a business reason; the class name is the error name."""


class OrderCancelled(BusinessFailure):
    """The order was cancelled meanwhile (the customer, the sweeper): the step did nothing."""


class SagaInputInvalid(BusinessFailure):
    """The execution's input breaks the task contract: no step acts on it, the order is cancelled."""


class UnknownAction(ValueError):
    """The state machine asked for an action this context has no task for: a wiring fault."""


@dataclass(frozen=True)
class SagaCause:
    """Cause of what a task publishes: an event id and the saga's correlation id."""

    id: str
    correlation_id: str


def placed_event(saga: Mapping[str, Any]) -> IntegrationEvent:
    """The saga's order.placed, checked against its contract as a received event is: every step
    acts on it (a quantity, a price, a token), so nothing of an input that breaks it is used."""
    placed = saga.get("placed")
    wanted = f"{STARTING_EVENT[0]} v{STARTING_EVENT[1]}"
    if not isinstance(placed, dict):
        raise SagaInputInvalid(f"the execution's input holds no {wanted} event at $.placed")
    try:
        validate_event(placed)
    except InvalidEvent as invalid:
        raise SagaInputInvalid(f"the execution's input at $.placed: {invalid}") from invalid
    if not starts_the_saga(placed):
        raise SagaInputInvalid(f"$.placed is a {placed['type']} event ({placed['dataschema']}), not {wanted}")
    if placed["data"]["orderId"] != saga["orderId"]:
        raise SagaInputInvalid(f"$.placed is about order {placed['data']['orderId']}, not {saga['orderId']}")
    return IntegrationEvent.from_cloudevent(placed)


def starts_the_saga(event: Mapping[str, Any]) -> bool:
    version = int(str(event["dataschema"]).rsplit("/v", 1)[1].removesuffix(".json"))
    return (event["type"], version) == STARTING_EVENT


def _order_id(saga: Any) -> str:
    """The one field every task needs, even the cancellation of an order whose input is invalid."""
    order_id = saga.get("orderId") if isinstance(saga, dict) else None
    if not isinstance(order_id, str) or not _is_uuid(order_id):
        raise SagaInputInvalid("the execution's input names no order: $.orderId must be the order's id (a UUID)")
    return order_id


def _is_uuid(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value.lower()
    except ValueError:
        return False


def cancellation_cause(order_id: str) -> SagaCause:
    """The order's order.cancelled as the cause of a compensation, known before it is published."""
    return SagaCause(cancellation_id(order_id), order_id)


def outcome_of(saga: Mapping[str, Any], step: str) -> dict[str, Any] | None:
    """What an earlier step's task answered, if that step ran."""
    done = saga.get(step)
    return None if done is None else done["outcome"]


def task_handler(logger: Logger, actions: Mapping[str, Action]) -> Callable[[dict[str, Any], LambdaContext], dict]:
    """The function Lambda calls: dispatch on `action`, log with the order as correlation id."""

    @logger.inject_lambda_context
    def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        action, saga = event["action"], event["saga"]
        if action not in actions:
            raise UnknownAction(f"no task {action!r} here; this context has {sorted(actions)}")
        logger.append_keys(correlation_id=_order_id(saga), action=action)
        try:
            return actions[action](saga)
        except BusinessFailure as failure:
            logger.info("business failure", extra={"error": type(failure).__name__, "reason": str(failure)})
            raise

    return handle
