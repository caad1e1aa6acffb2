"""Step Functions state machines (moto's ASL interpreter runs their executions, see emulator/patches)."""

from __future__ import annotations

from typing import Any

from localcloud.provisioning.resources.base import Handler, Inputs, Provisioner, State, drop_none, tag_list

STATE_MACHINE = "aws:sfn/stateMachine:StateMachine"


def _logging(configuration: dict[str, Any] | None) -> dict[str, Any] | None:
    if not configuration:
        return None
    destination = configuration.get("logDestination")
    return drop_none(
        {
            "level": configuration.get("level") or "OFF",
            "includeExecutionData": configuration.get("includeExecutionData"),
            # Pulumi takes one log group ARN (ending in ":*"); the API a list of destinations.
            "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": destination}}] if destination else None,
        }
    )


def create_state_machine(p: Provisioner, logical: str, inputs: Inputs) -> tuple[str, State]:
    name = p.name(inputs, logical, STATE_MACHINE, 80)
    tracing = inputs.get("tracingConfiguration") or {}
    created = p.client("stepfunctions").create_state_machine(
        **drop_none(
            {
                "name": name,
                "definition": inputs["definition"],
                "roleArn": inputs["roleArn"],
                "type": inputs.get("type") or "STANDARD",
                "loggingConfiguration": _logging(inputs.get("loggingConfiguration")),
                "tracingConfiguration": {"enabled": bool(tracing.get("enabled"))} if tracing else None,
                "publish": inputs.get("publish"),
                "tags": tag_list(inputs, "key", "value") or None,
            }
        )
    )
    arn = created["stateMachineArn"]
    state = {
        **inputs,
        "name": name,
        "arn": arn,
        "type": inputs.get("type") or "STANDARD",
        "status": "ACTIVE",
        "creationDate": created["creationDate"].isoformat(),
        "stateMachineVersionArn": created.get("stateMachineVersionArn", ""),
        "revisionId": "",
    }
    return arn, state


HANDLERS: dict[str, Handler] = {STATE_MACHINE: create_state_machine}
