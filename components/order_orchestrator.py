"""The order saga's orchestrator (sagaStyle `orchestration`): a Step Functions Standard state machine
whose definition is built from the catalog's steps (components/saga_definition.py), its own role,
which may invoke exactly the saga's task functions, and the log group its executions log to.

Executions log at ERROR without their data: an execution's input is the order.placed event, and
even encrypted a payment token has no place in a log. The execution history (kept by Step
Functions, not in the logs) shows each step, its retries and the compensations it ran.
"""

import json
from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from components import policies
from components.saga_definition import saga_definition
from components.settings import StackSettings
from contracts.catalog import Orchestration

# Task functions get a little longer than a function may run, so a task that ran out of time is
# reported by Lambda (a function error) rather than by the state machine's own timeout.
TASK_TIMEOUT_MARGIN_SECONDS = 5


def state_machine_name() -> str:
    """Named, not generated: the order context starts executions by this name's ARN before the
    state machine (which invokes the order context's own task) exists."""
    return f"{pulumi.get_project()}-{pulumi.get_stack()}-order-saga"


def state_machine_arn() -> pulumi.Output[str]:
    identity, region = aws.get_caller_identity_output(), aws.get_region_output()
    return pulumi.Output.all(region.region, identity.account_id).apply(
        lambda values: f"arn:aws:states:{values[0]}:{values[1]}:stateMachine:{state_machine_name()}"
    )


class OrderOrchestrator(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        orchestration: Orchestration,
        task_functions: Mapping[str, aws.lambda_.Function],
        settings: StackSettings,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("saga:orchestration:OrderOrchestrator", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        missing = set(orchestration.contexts) - set(task_functions)
        if missing:
            raise ValueError(f"the saga's steps name contexts without a task function: {sorted(missing)}")
        tasks = {context: task_functions[context] for context in orchestration.contexts}

        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-executions",
            name=f"/aws/vendedlogs/states/{state_machine_name()}",
            retention_in_days=settings.orchestrator_log_retention_days,
            opts=child,
        )
        account = aws.get_caller_identity_output().account_id
        self.role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=pulumi.Output.all(account, state_machine_arn()).apply(
                lambda values: policies.assume_role("states.amazonaws.com", values[0], [values[1]])
            ),
            opts=child,
        )
        arns = [function.arn for function in tasks.values()]
        self.role_policy = aws.iam.RolePolicy(
            f"{name}-policy",
            role=self.role.id,
            policy=pulumi.Output.all(*arns).apply(
                lambda resolved: policies.document([policies.invoke_tasks(resolved), policies.deliver_execution_logs()])
            ),
            opts=child,
        )
        contexts = list(tasks)
        definition = pulumi.Output.all(*arns).apply(
            lambda resolved: json.dumps(
                saga_definition(
                    orchestration,
                    dict(zip(contexts, resolved, strict=True)),
                    settings.task_retry,
                    settings.function_timeout_seconds + TASK_TIMEOUT_MARGIN_SECONDS,
                ),
                indent=2,
                sort_keys=True,
            )
        )
        self.state_machine = aws.sfn.StateMachine(
            f"{name}-state-machine",
            name=state_machine_name(),
            type="STANDARD",
            role_arn=self.role.arn,
            definition=definition,
            logging_configuration=aws.sfn.StateMachineLoggingConfigurationArgs(
                level="ERROR",
                include_execution_data=False,
                log_destination=self.log_group.arn.apply(lambda arn: f"{arn.removesuffix(':*')}:*"),
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.role_policy]),
        )
        self.outputs = {
            "stateMachineArn": self.state_machine.arn,
            "stateMachineName": self.state_machine.name,
            "executionLogGroup": self.log_group.name,
        }
        self.register_outputs(self.outputs)
