"""Starting the orchestrated saga (sagaStyle orchestration): one Step Functions execution per order.

Started by the outbox relay from the order's order.placed outbox entry, which the order API wrote
in the same transaction as the order: an order stored is an execution started, even if the API's
function dies right after its write, and no execution exists for an order never stored. The
execution is named after the order, so a stream record delivered again starts nothing new: Step
Functions answers a repeated StartExecution (same name, same input) with the execution it has.
"""

import json
from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError
from saga_events.tasks import starts_the_saga


class SagaStarter:
    def __init__(self, stepfunctions_client: Any, state_machine_arn: str, logger: Logger) -> None:
        self._sfn = stepfunctions_client
        self.state_machine_arn = state_machine_arn
        self._logger = logger

    def starts_with(self, event: dict[str, Any]) -> bool:
        return starts_the_saga(event)

    def start(self, placed: dict[str, Any]) -> str:
        """The execution's ARN (a new one, or the one already started for this order)."""
        order_id = placed["data"]["orderId"]
        try:
            response = self._sfn.start_execution(
                stateMachineArn=self.state_machine_arn,
                name=order_id,
                input=json.dumps({"orderId": order_id, "placed": placed}, separators=(",", ":")),
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ExecutionAlreadyExists":
                raise
            # Started before with another input (the event re-encrypted?): the first one stands.
            self._logger.warning("an execution of this order exists already", extra={"order_id": order_id})
            return f"{self.state_machine_arn.replace(':stateMachine:', ':execution:')}:{order_id}"
        self._logger.info("saga started", extra={"order_id": order_id, "execution": response["executionArn"]})
        return response["executionArn"]
