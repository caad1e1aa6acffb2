"""Handlers against moto in-process: real boto3 calls, no network, a global bus we can read."""

import uuid
from collections.abc import Iterator

import pytest

from tests.harness.cloud import Cloud, mocked_cloud
from tests.integration.payment_worker import PaymentWorker, load_payment_worker

GLOBAL_BUS = "saga-global"

__all__ = ["GLOBAL_BUS", "Cloud", "cloud", "order_id", "payment"]


@pytest.fixture
def cloud(monkeypatch: pytest.MonkeyPatch) -> Iterator[Cloud]:
    monkeypatch.setenv("EVENT_BUS_NAME", GLOBAL_BUS)
    with mocked_cloud(monkeypatch) as cloud:
        cloud.create_bus(GLOBAL_BUS)
        yield cloud


@pytest.fixture
def payment(cloud: Cloud, monkeypatch: pytest.MonkeyPatch) -> PaymentWorker:
    return load_payment_worker(cloud, monkeypatch)


@pytest.fixture
def order_id() -> str:
    return str(uuid.uuid4())
