"""Run after every other test of the session (tests/conftest.py puts it last): of all the orders they
placed, no payment token and no street address is readable in the event log or in the archive.

The event log is read whole through CloudWatch Logs. EventBridge has no API that lists an archive's
events (only a replay, which would deliver them all again), so the archive is read from the
emulator's own state (moto's /moto-api/data.json); against a deployed stack only the log is scanned,
which the same catch-all pattern feeds with the same events.
"""

import json
import re
import time
import urllib.error
import urllib.request
from typing import Any

import pytest

from contracts import load_catalog
from saga_client import SagaTarget
from saga_client.operations import event_log, place_order, wait_until_quiet
from saga_client.orders import order_request
from saga_client.target import eventually

# One worker runs these together, on the one running system they share (./run test: xdist loadgroup).
pytestmark = pytest.mark.xdist_group("running-system")

# Any payment method token at all, not only the ones tests use: none may travel in clear.
# ("_" is not in the base64 alphabet, so no ciphertext can contain it.)
TOKEN = re.compile(r"tok_[A-Za-z0-9_]+")
ADDRESS = order_request(("SKU", 1))["shippingAddress"]
# The street address every test order is sent to (the recipient's name too: it travels with it).
STREET_LINES = [ADDRESS["line1"], ADDRESS["recipient"]]


@pytest.fixture(scope="module", autouse=True)
def an_order_of_its_own(saga: SagaTarget, patience: float) -> None:
    """One order placed here too, so the scan reads something even when run on its own."""
    order_id = place_order(saga, order_request(("NO-SUCH-SKU", 1))).body["orderId"]

    def placed_is_logged() -> bool | None:
        return any(event["type"] == "order.placed" for event in event_log(saga, order_id)) or None

    placed_is_logged.__name__ = f"order.placed of {order_id} in the event log"
    eventually(placed_is_logged, timeout=patience)
    # Reading the emulator's whole state races with writes in flight (see archived_events).
    wait_until_quiet(saga, sorted({c for e in load_catalog().events for c in e.consumers}), timeout=patience)


def logged_events(saga: SagaTarget) -> list[str]:
    """Every message in the event log."""
    logs = saga.client("logs")
    messages: list[str] = []
    kwargs: dict[str, Any] = {"logGroupName": saga.outputs["eventLogGroup"]}
    while True:
        page = logs.filter_log_events(**kwargs)
        messages += [entry["message"] for entry in page.get("events", [])]
        if not page.get("nextToken"):
            return messages
        kwargs["nextToken"] = page["nextToken"]


def archived_events(saga: SagaTarget) -> list[str]:
    """Every event the emulator's archives hold, as JSON."""
    assert saga.endpoint_url is not None
    for attempt in range(5):
        try:
            with urllib.request.urlopen(f"{saga.endpoint_url}/moto-api/data.json", timeout=120) as response:
                state = json.loads(response.read())
            break
        except urllib.error.HTTPError as error:
            # moto checks each attribute is JSON before it serialises them all: a dict that filled
            # in between (a poller's write) fails the whole answer with a 500. Ask again.
            if error.code != 500 or attempt == 4:
                raise
            time.sleep(1)
    return [json.dumps(event) for archive in state["events"]["Archive"] for event in archive.get("events", [])]


def in_clear(texts: list[str]) -> list[str]:
    return sorted(
        {found for text in texts for found in [*TOKEN.findall(text), *(s for s in STREET_LINES if s in text)]}
    )


def test_the_event_log_holds_every_order_placed_and_no_token_or_street_address_in_clear(saga):
    logged = logged_events(saga)

    assert any('"order.placed"' in message for message in logged), "no order in the event log: nothing was scanned"
    assert in_clear(logged) == []


def test_the_archive_holds_every_order_placed_and_no_token_or_street_address_in_clear(saga):
    if saga.endpoint_url is None:
        pytest.skip("EventBridge has no API to list an archive's events; the event log was scanned instead")
    archived = archived_events(saga)

    assert any('"order.placed"' in event for event in archived), "the archive holds no order: nothing was scanned"
    assert in_clear(archived) == []
