"""Recording every request one order makes of the emulator, with moto's request recorder.

While recording is on (`/moto-api/recorder/start-recording`) moto appends each request it
serves, as it arrives, to the file named by MOTO_RECORDER_FILEPATH: method, URL, headers and
body, but not the answer. The soak sets that variable before the embedded cloud starts.
"""

from __future__ import annotations

import base64
import json
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from saga_client import SagaTarget
from saga_client.operations import get_order, place_order
from saga_client.orders import order_request

RECORDING_VARIABLE = "MOTO_RECORDER_FILEPATH"
# The event source pollers' reads: they are asked all the time, order or not. A stream poller
# also re-anchors an idle shard now and then (GetShardIterator): bookkeeping, not an order's work.
POLLS = frozenset({"ReceiveMessage", "GetRecords", "GetShardIterator", "DescribeStream"})


class RecordingError(RuntimeError):
    pass


class GarbledRecording(RecordingError):
    """moto writes a long request in several pieces, so two at once can interleave: record again."""


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str  # with the query, if any
    headers: dict[str, str]
    body: bytes

    @property
    def operation(self) -> str:
        target = self.headers.get("X-Amz-Target")
        if target:
            return target.rsplit(".", 1)[-1]
        # Query protocol (SNS): the action is a form field.
        action = urllib.parse.parse_qs(self.body.decode(errors="replace")).get("Action")
        return action[0] if action else f"{self.method} {self.path}"

    def json(self) -> dict[str, Any]:
        return json.loads(self.body) if self.body else {}


@dataclass(frozen=True)
class Recording:
    requests: list[RecordedRequest]
    endpoint_url: str  # of the server it was recorded on: its queue URLs name it
    order_id: str


def read_recording(path: Path) -> list[RecordedRequest]:
    requests = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            requests.append(_parse(json.loads(line)))
        except (ValueError, KeyError) as error:
            raise GarbledRecording(f"unreadable line in {path}: {line[:120]}") from error
    return requests


def _parse(entry: dict[str, Any]) -> RecordedRequest:
    body = entry.get("body") or ""
    raw = base64.b64decode(body) if entry.get("body_encoded") else body.encode()
    url = urllib.parse.urlsplit(entry["url"])
    path = url.path + (f"?{url.query}" if url.query else "")
    return RecordedRequest(entry["method"], path, dict(entry["headers"]), raw)


def record_one_order(
    saga: SagaTarget,
    endpoint_url: str,
    path: Path,
    sku: str,
    quiet_seconds: float = 2.0,
    timeout: float = 60.0,
) -> Recording:
    """Place one order and record everything asked of moto until the saga has gone quiet.

    No client request goes to moto meanwhile except one GET /orders/{id} at the end (the
    customer reading the outcome once), so the recording is the saga's work for one order.
    """

    # The customer id is their token's subject, a UUID, so that replays can give each order a
    # customer of their own. Signed in before the recording starts: that is not the order's work.
    customer = f"soak-{uuid.uuid4()}"
    saga.customers.token(customer)

    def place() -> str:
        response = place_order(saga, order_request((sku, 1)), customer=customer)
        if response.status != 202:
            raise RecordingError(f"POST /orders answered {response.status}: {response.body}")
        return str(response.body["orderId"])

    recording, status = record_saga(saga, endpoint_url, path, place, quiet_seconds, timeout)
    if status != "CONFIRMED":
        raise RecordingError(f"the recorded order ended {status}, not CONFIRMED")
    return recording


def record_saga(
    saga: SagaTarget,
    endpoint_url: str,
    path: Path,
    act: Callable[[], str],
    quiet_seconds: float = 2.0,
    timeout: float = 60.0,
) -> tuple[Recording, str]:
    """Record what `act` (which places an order and returns its id) asks of moto until the saga is
    quiet, then one GET /orders/{id}; the recording and the order's final status."""
    _recorder(endpoint_url, "start-recording")
    try:
        # An earlier order's saga may still be finishing (its notification, its points).
        _wait_until_quiet(path, quiet_seconds, timeout)
        _recorder(endpoint_url, "reset-recording")
        order_id = act()
        _wait_until_quiet(path, quiet_seconds, timeout)
        status = str(get_order(saga, order_id).body["status"])
    finally:
        _recorder(endpoint_url, "stop-recording")
    return Recording(read_recording(path), endpoint_url, order_id), status


def _recorder(endpoint_url: str, action: str) -> None:
    request = urllib.request.Request(f"{endpoint_url}/moto-api/recorder/{action}", data=b"", method="POST")
    with urllib.request.urlopen(request, timeout=10):
        pass


def _wait_until_quiet(path: Path, quiet_seconds: float, timeout: float) -> None:
    """Until moto has been asked nothing but pollers' reads for `quiet_seconds`."""
    started = time.monotonic()
    last_work = started
    offset, partial = path.stat().st_size if path.exists() else 0, b""
    while time.monotonic() - last_work < quiet_seconds:
        if time.monotonic() - started > timeout:
            raise RecordingError(f"the saga was still busy after {timeout:.0f}s")
        time.sleep(0.1)
        if not path.exists():
            continue
        with path.open("rb") as file:
            file.seek(offset)
            chunk = file.read()
        offset += len(chunk)
        *lines, partial = (partial + chunk).split(b"\n")
        for line in lines:
            try:
                operation = _parse(json.loads(line)).operation
            except (ValueError, KeyError):
                operation = "?"  # a garbled line fails the recording later, when it is read whole
            if operation not in POLLS:
                last_work = time.monotonic()
