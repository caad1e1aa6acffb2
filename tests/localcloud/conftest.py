import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from localcloud import EmbeddedCloud
from localcloud.emulator.clients import client
from localcloud.emulator.server import MotoServer

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="package")
def cloud() -> Iterator[EmbeddedCloud]:
    # retry_delay_seconds=1 keeps DLQ redrives to a couple of seconds.
    with EmbeddedCloud.start(FIXTURES / "saga_mini", stack="dev", retry_delay_seconds=1) as running:
        yield running


@pytest.fixture(scope="package")
def sqs(cloud: EmbeddedCloud) -> Any:
    return client("sqs", cloud.endpoint_url)


@pytest.fixture(scope="package")
def queues(cloud: EmbeddedCloud) -> dict[str, str]:
    return cloud.outputs["queues"]


class Mailbox:
    """Collects messages from a queue so tests can wait for what they expect."""

    def __init__(self, sqs: Any, url: str) -> None:
        self._sqs = sqs
        self._url = url
        self.seen: list[dict[str, Any]] = []

    def _pull(self, wait_seconds: int) -> None:
        response = self._sqs.receive_message(
            QueueUrl=self._url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=wait_seconds,
            AttributeNames=["All"],
        )
        for message in response.get("Messages", []):
            self.seen.append({**json.loads(message["Body"]), "_attributes": message["Attributes"]})
            self._sqs.delete_message(QueueUrl=self._url, ReceiptHandle=message["ReceiptHandle"])

    def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], count: int = 1, timeout: float = 15
    ) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while True:
            matching = [m for m in self.seen if predicate(m)]
            if len(matching) >= count:
                return matching
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} matching messages, got {matching}")
            self._pull(1)

    def settle(self, seconds: float) -> None:
        """Keep collecting for a while, to prove that nothing more arrives."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self._pull(1)


@pytest.fixture(scope="package")
def mailbox(sqs: Any, queues: dict[str, str]) -> Callable[[str], Mailbox]:
    boxes: dict[str, Mailbox] = {}

    def get(name: str) -> Mailbox:
        if name not in boxes:
            boxes[name] = Mailbox(sqs, queues[name])
        return boxes[name]

    return get


@pytest.fixture(scope="package")
def bare_moto() -> Iterator[str]:
    """The endpoint of a patched moto server with nothing deployed and nothing polling it."""
    with MotoServer() as server:
        yield server.endpoint_url
