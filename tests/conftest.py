"""The running system, shared by tests/e2e and the HTTP contract tests: started once per session.

The embedded cloud by default, a deployed stack when one is named.

    SAGA_STACK_OUTPUTS=outputs.json ./run test tests/e2e

runs these same scenarios against a real stack, with `outputs.json` written by
`pulumi stack output --json --show-secrets` and AWS credentials in the environment.
"""

import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from components.settings import SAGA_STYLE_CONFIG_KEY, SAGA_STYLES
from localcloud.provisioning.deployment import INSTANCE_VARIABLE
from saga_client import SagaTarget
from saga_client.operations import slowest_dead_lettering_seconds
from saga_client.state import NotificationInbox

PROJECT_DIR = Path(__file__).resolve().parents[1]

# Each pytest-xdist worker that starts an embedded cloud gets its own state directory.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER")
if _WORKER:
    os.environ[INSTANCE_VARIABLE] = "-".join(filter(None, [os.environ.get(INSTANCE_VARIABLE), _WORKER]))


# The running system's orders are due a minute after they are placed (the dev stack's own deadline
# is Pulumi's default, 15 minutes): a saga stuck on purpose (tests/e2e/test_stuck_sagas.py) ends
# within the sweeper's next run or so, while every scenario that should finish does so in seconds,
# well inside it, even a dead letter waiting for its redrive (tests/ops). Set as the Pulumi CLI
# hands config to a program, over the stack file.
E2E_CONFIG = {"order-saga:orderDeadlineSeconds": "60"}


@contextmanager
def stack_config(overrides: dict[str, str]) -> Iterator[None]:
    before = os.environ.get("PULUMI_CONFIG")
    os.environ["PULUMI_CONFIG"] = json.dumps({**json.loads(before or "{}"), **overrides})
    try:
        yield
    finally:
        if before is None:
            del os.environ["PULUMI_CONFIG"]
        else:
            os.environ["PULUMI_CONFIG"] = before


class RunningSystems:
    """The running systems this process started, one per saga style, each deployed on first use and
    stopped at the session's end. A pytest-xdist worker only deploys the styles its tests ask for."""

    def __init__(self) -> None:
        self._clouds: dict[str, Any] = {}
        self._targets: dict[str, SagaTarget] = {}
        self._inboxes: dict[str, NotificationInbox] = {}

    def target(self, style: str) -> SagaTarget:
        if style not in self._targets:
            self._targets[style] = self._start(style)
        return self._targets[style]

    def _start(self, style: str) -> SagaTarget:
        outputs_file = os.environ.get("SAGA_STACK_OUTPUTS")
        if outputs_file:
            # A deployed stack runs the style it was deployed with, whichever is asked for.
            return SagaTarget.from_outputs_file(Path(outputs_file))
        from localcloud import EmbeddedCloud

        # The deploy (a subprocess) reads the config at start; nothing started later inherits it.
        # Two styles in one process are two instances of the embedded cloud, each its own state.
        instance = os.environ.get(INSTANCE_VARIABLE)
        if style != "choreography":
            os.environ[INSTANCE_VARIABLE] = "-".join(filter(None, [instance, style]))
        try:
            with stack_config({**E2E_CONFIG, f"order-saga:{SAGA_STYLE_CONFIG_KEY}": style}):
                cloud = EmbeddedCloud.start(PROJECT_DIR, stack="dev")
        finally:
            if instance is None:
                os.environ.pop(INSTANCE_VARIABLE, None)
            else:
                os.environ[INSTANCE_VARIABLE] = instance
        self._clouds[style] = cloud.__enter__()
        # Workers are paused through Lambda's API, as on a deployed stack (the function host serves it).
        return SagaTarget.for_emulator(cloud.outputs, cloud.endpoint_url)

    def inbox(self, style: str) -> NotificationInbox:
        """The customer's notifications on that style's running system, subscribed once."""
        if style not in self._inboxes:
            self._inboxes[style] = NotificationInbox.subscribe(self.target(style))
        return self._inboxes[style]

    def close(self) -> None:
        for inbox in self._inboxes.values():
            inbox.close()
        for cloud in self._clouds.values():
            cloud.__exit__(None, None, None)


@pytest.fixture(scope="session")
def running_systems() -> Iterator[RunningSystems]:
    systems = RunningSystems()
    yield systems
    systems.close()


# The style of the running system every test not about the style uses: the stack's default,
# choreography, unless asked (`SAGA_STYLE=orchestration ./run test tests/e2e tests/ops` runs them
# all on an orchestrated system, as against a deployed orchestrated stack).
DEFAULT_STYLE = os.environ.get("SAGA_STYLE", "choreography")
if DEFAULT_STYLE not in SAGA_STYLES:
    raise pytest.UsageError(f"SAGA_STYLE must be one of {', '.join(SAGA_STYLES)}, not {DEFAULT_STYLE!r}")


@pytest.fixture(scope="session")
def saga(running_systems: RunningSystems) -> SagaTarget:
    """The running system of the default style: what every test not about the style uses."""
    return running_systems.target(DEFAULT_STYLE)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "choreography_only(reason): the behaviour exists only when the contexts choreograph the saga "
        "(a step is a queue delivery, a poison message a dead letter); skipped, with the reason, on an "
        "orchestrated running system or deployed stack",
    )


@pytest.fixture(autouse=True)
def _only_where_the_behaviour_exists(request: pytest.FixtureRequest) -> None:
    marker = request.node.get_closest_marker("choreography_only")
    if marker is None or "saga" not in request.fixturenames:
        return
    target = request.getfixturevalue("saga")
    if target.saga_style != "choreography":
        pytest.skip(f"choreography only: {marker.kwargs['reason']}")


def both_styles() -> list[Any]:
    """Params for a `saga` fixture over both styles. Each style runs on its own pytest-xdist worker:
    the orchestrated one's tests join an extra group (xdist joins a test's group names), so the
    choreographed ones stay with the other tests of their module's group and its running system."""
    return [
        pytest.param(style, marks=[] if style == "choreography" else [pytest.mark.xdist_group(style)], id=style)
        for style in SAGA_STYLES
    ]


# Beyond the queues' own redelivery: EventBridge's delivery, a poll, and the last attempt's run.
REDELIVERY_MARGIN_SECONDS = 120


@pytest.fixture(scope="session")
def patience(saga: SagaTarget) -> float:
    """Seconds to wait for the saga to settle. A deployed stack retries a failed message a visibility
    timeout after each receive until its queue's maxReceiveCount, so waits (the dead-letter tests')
    allow the slowest queue that long, plus a margin; the embedded cloud retries after a second."""
    if saga.endpoint_url is not None:
        return 30.0
    return slowest_dead_lettering_seconds(saga) + REDELIVERY_MARGIN_SECONDS


@pytest.fixture
def sku() -> "SkuFactory":
    return SkuFactory()


class SkuFactory:
    """SKUs no other test uses, so scenarios never share stock, even against a shared stack."""

    def __call__(self, name: str) -> str:
        return f"{name.upper()}-{uuid.uuid4().hex[:8].upper()}"


@pytest.fixture(scope="session")
def inbox(running_systems: RunningSystems) -> NotificationInbox:
    # Not from `saga`: a module that runs both styles has its own `saga` and `inbox` (a session
    # fixture is computed once, whichever `saga` its first user saw).
    return running_systems.inbox(DEFAULT_STYLE)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the HTTP contract fuzzing last: the hundreds of sagas it starts keep the emulator
    busy for a while, and the scenarios should not wait behind them. After everything, the scan
    for secrets in clear reads what all of them published.

    Under pytest-xdist (`./run test` runs `--dist loadgroup`) the modules that share one running
    system say so (`pytestmark = pytest.mark.xdist_group("running-system")`), and one worker
    runs them, in this order."""
    fuzzing = [item for item in items if item.path.name == "test_order_api_contract.py"]
    scan = [item for item in items if item.path.name == "test_no_secrets_in_clear.py"]
    items[:] = [item for item in items if item not in fuzzing and item not in scan] + fuzzing + scan
