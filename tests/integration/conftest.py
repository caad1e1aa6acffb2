"""Handlers against moto in-process: real boto3 calls, no network, a global bus we can read."""

from collections.abc import Iterator

import pytest

from tests.harness.cloud import Cloud, mocked_cloud

GLOBAL_BUS = "saga-global"

__all__ = ["GLOBAL_BUS", "Cloud", "cloud"]


@pytest.fixture
def cloud(monkeypatch: pytest.MonkeyPatch) -> Iterator[Cloud]:
    monkeypatch.setenv("EVENT_BUS_NAME", GLOBAL_BUS)
    with mocked_cloud(monkeypatch) as cloud:
        cloud.create_bus(GLOBAL_BUS)
        yield cloud
