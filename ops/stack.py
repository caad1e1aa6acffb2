"""Which saga `ops` operates: the stack's outputs, the endpoint its AWS clients use, the stack's config.

The outputs come from `--outputs` (or SAGA_STACK_OUTPUTS), written for a deployed stack by
`pulumi stack output --json --show-secrets > outputs.json`; without one, the embedded cloud's own
outputs file for the stack (`.localcloud/<stack>/outputs.json`, written by `./run up`). Clients go
wherever AWS_ENDPOINT_URL (or --endpoint-url) points; the embedded cloud records its endpoint
beside its outputs, and that is the only thing here that knows an emulator exists.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from components.alarm_rules import DEFAULT_OLDEST_MESSAGE_ALARM_SECONDS, OLDEST_MESSAGE_CONFIG_KEY
from components.settings import DEFAULT_ORDER_DEADLINE_SECONDS, ORDER_DEADLINE_CONFIG_KEY, read_stack_config
from saga_client import SagaTarget

PROJECT_DIR = Path(__file__).resolve().parents[1]


class StackNotFound(RuntimeError):
    pass


@dataclass
class Stack:
    name: str
    target: SagaTarget
    # The stack's config as the Pulumi CLI hands it to the program, keys without the project prefix.
    config: dict[str, str]

    @classmethod
    def of(cls, target: SagaTarget, name: str = "dev", project_dir: Path = PROJECT_DIR) -> Stack:
        """A stack whose outputs are already at hand (the e2e tests' running system)."""
        try:
            stack_config = read_stack_config(project_dir, name)
            config = {key.split(":", 1)[-1]: value for key, value in stack_config.config.items()}
        except FileNotFoundError:
            config = {}
        return cls(name, target, config)

    @property
    def outputs(self) -> dict[str, Any]:
        return self.target.outputs

    def contexts(self) -> list[str]:
        """Every bounded context the stack exports (an output with a dead-letter queue)."""
        return [
            name for name, value in self.outputs.items() if isinstance(value, dict) and "deadLetterQueueUrl" in value
        ]

    def setting(self, key: str, default: int) -> int:
        value = self.config.get(key)
        return default if value in (None, "") else int(value)

    @property
    def order_deadline_seconds(self) -> int:
        """The deadline the stack's sweeper enforces: the deployed program's own figure (its output),
        which a config given here overrides; the stack file may say something else than what was
        deployed (a setting changed since, or one handed to the program as PULUMI_CONFIG)."""
        deployed = self.outputs.get("orderDeadlineSeconds")
        if deployed is not None and ORDER_DEADLINE_CONFIG_KEY not in self.config:
            return int(deployed)
        return self.setting(ORDER_DEADLINE_CONFIG_KEY, DEFAULT_ORDER_DEADLINE_SECONDS)

    @property
    def oldest_message_alarm_seconds(self) -> int:
        return self.setting(OLDEST_MESSAGE_CONFIG_KEY, DEFAULT_OLDEST_MESSAGE_ALARM_SECONDS)


def find_stack(name: str, outputs_file: Path | None = None, endpoint_url: str | None = None) -> Stack:
    outputs_file = outputs_file or _given_outputs() or _embedded_cloud_outputs(name)
    if not outputs_file.exists():
        raise StackNotFound(
            f"no stack outputs at {outputs_file}: start the embedded cloud (`./run up --stack {name}`), or for a "
            "deployed stack write `pulumi stack output --json --show-secrets > outputs.json` and pass --outputs"
        )
    endpoint_url = endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or _recorded_endpoint(outputs_file)
    outputs = json.loads(outputs_file.read_text())
    if endpoint_url and boto3.Session().get_credentials() is None:
        # An emulator takes any signature; a real endpoint behind AWS_ENDPOINT_URL gets real credentials.
        target = SagaTarget.for_emulator(outputs, endpoint_url)
    else:
        target = SagaTarget.from_outputs_file(outputs_file)
        target.endpoint_url = endpoint_url
    return Stack.of(target, name)


def _given_outputs() -> Path | None:
    given = os.environ.get("SAGA_STACK_OUTPUTS")
    return Path(given) if given else None


def _embedded_cloud_outputs(name: str) -> Path:
    from localcloud.provisioning.deployment import state_dir

    return state_dir(PROJECT_DIR, name) / "outputs.json"


def _recorded_endpoint(outputs_file: Path) -> str | None:
    deployment = outputs_file.parent / "deployment.json"
    if not deployment.exists():
        return None
    return json.loads(deployment.read_text()).get("endpoint_url")
