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
a transient error (a lost race, the gateway briefly down) is raised as the context's own
exception, which the step's Retry names. Anything else fails the task and ends in the same
compensation path once the retries are spent.

Every task publishes the outcome events its context publishes in choreography, caused by the
saga's first event (order.placed), so the event log, loyalty and notifications see the same
facts. Compensations are caused by `cancellation_cause`: the order.cancelled the order context
will publish once they ran carries its id, so a participant that also receives that
order.cancelled derives the very same outcome ids, and consumers drop the duplicates.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from saga_events.events import IntegrationEvent, derived_event_id

Action = Callable[[dict[str, Any]], dict[str, Any]]


class BusinessFailure(Exception):
    """A step that cannot be done for a business reason; the class name is the error name."""


class OrderCancelled(BusinessFailure):
    """The order was cancelled meanwhile (the customer, the sweeper): the step did nothing."""


class UnknownAction(ValueError):
    """The state machine asked for an action this context has no task for: a wiring fault."""


@dataclass(frozen=True)
class SagaCause:
    """Cause of what a task publishes: an event id and the saga's correlation id."""

    id: str
    correlation_id: str


def placed_event(saga: Mapping[str, Any]) -> IntegrationEvent:
    return IntegrationEvent.from_cloudevent(saga["placed"])


def cancellation_cause(order_id: str) -> SagaCause:
    """The id the order's cancellation by the state machine carries, known before it is published."""
    return SagaCause(derived_event_id(f"orchestrated-{order_id}", "order.cancelled", 1), order_id)


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
        logger.append_keys(correlation_id=saga["orderId"], action=action)
        try:
            return actions[action](saga)
        except BusinessFailure as failure:
            logger.info("business failure", extra={"error": type(failure).__name__, "reason": str(failure)})
            raise

    return handle
