"""The `ops` command against the running system (tests/conftest.py's `saga`): the embedded cloud, or a
deployed stack named by SAGA_STACK_OUTPUTS. The command is run as an operator runs it, in its own
process, finding the stack through an outputs file and its endpoint."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ops.stack import Stack

PROJECT_DIR = Path(__file__).resolve().parents[2]
# What a confirmed order publishes, one event each.
SAGA_OF_A_CONFIRMED_ORDER = [
    "order.placed",  # v3, for inventory, payment and shipping
    "inventory.reserved",
    "payment.captured",
    "shipping.scheduled",
    "loyalty.points-awarded",
    "order.confirmed",
]


@pytest.fixture(scope="session")
def stack(saga):
    return Stack.of(saga, "dev")


@pytest.fixture(scope="session")
def ops_command(saga, tmp_path_factory):
    """The argv prefix that runs `ops` against the running system."""
    outputs = tmp_path_factory.mktemp("ops") / "outputs.json"
    outputs.write_text(json.dumps(saga.outputs))
    command = [sys.executable, "-m", "ops", "--outputs", str(outputs)]
    return command + (["--endpoint-url", saga.endpoint_url] if saga.endpoint_url else [])


@pytest.fixture(scope="session")
def ops(ops_command):
    """Runs `ops <arguments> --json` to its end and returns its JSON answer (and exit code)."""

    def run(*arguments, expect=0):
        done = subprocess.run(
            [*ops_command, *arguments, "--json"],
            capture_output=True,
            text=True,
            timeout=3600,  # an upper bound: a replay on AWS takes minutes to start
            cwd=PROJECT_DIR,
            env={**os.environ, "NO_COLOR": "1"},
        )
        assert done.returncode == expect, (done.returncode, done.stdout, done.stderr)
        return json.loads(done.stdout) if done.stdout.strip() else None, done.stderr

    return run


def dead_letter_patience(saga, context, patience):
    """Long enough for a message to be dead-lettered: on AWS visibility timeout x maxReceiveCount
    (the embedded cloud retries a failed message after a second instead)."""
    if saga.endpoint_url is not None:
        return patience
    attributes = saga.client("sqs").get_queue_attributes(
        QueueUrl=saga.context(context)["queueUrl"], AttributeNames=["VisibilityTimeout", "RedrivePolicy"]
    )["Attributes"]
    receives = json.loads(attributes["RedrivePolicy"])["maxReceiveCount"]
    return patience + int(attributes["VisibilityTimeout"]) * int(receives)
