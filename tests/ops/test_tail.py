"""`ops tail` shows a new order's events as they are published, in order, within 2 seconds."""

import json
import os
import queue
import subprocess
import threading
import time

import pytest

from saga_client.operations import place_order, seed_stock
from tests.e2e.orders import an_order
from tests.ops.conftest import PROJECT_DIR, SAGA_OF_A_CONFIRMED_ORDER

pytestmark = pytest.mark.xdist_group("running-system")

SHOWN_WITHIN_SECONDS = 2.0


def test_tail_shows_a_new_orders_events_in_order_within_two_seconds(saga, sku, ops_command, patience):
    tail = subprocess.Popen(
        [*ops_command, "tail", "--json", "--for", str(patience + 30)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=PROJECT_DIR,
        env={**os.environ, "NO_COLOR": "1"},
    )
    lines: queue.Queue = queue.Queue()

    def read():
        for line in tail.stdout:
            lines.put((time.time(), json.loads(line)))

    try:
        started = tail.stderr.readline()
        assert started.startswith("following "), started + tail.stderr.read()
        threading.Thread(target=read, daemon=True).start()
        mug = sku("mug")
        seed_stock(saga, {mug: 5})
        order_id = place_order(saga, an_order((mug, 1))).body["orderId"]
        shown = []
        deadline = time.monotonic() + patience
        while not any(e["type"] == "order.confirmed" for _, e in shown):
            assert time.monotonic() < deadline, f"tail showed {[e['type'] for _, e in shown]}"
            try:
                arrived, event = lines.get(timeout=1)
            except queue.Empty:
                continue
            if event["order_id"] == order_id:
                shown.append((arrived, event))
    finally:
        tail.terminate()
        tail.wait(timeout=10)

    events = [event for _, event in shown]
    assert sorted(e["type"] for e in events) == sorted(SAGA_OF_A_CONFIRMED_ORDER)
    # In the order the bus published them, each after the event that caused it.
    assert [e["logged_at"] for e in events] == sorted(e["logged_at"] for e in events)
    seen = set()
    for event in events:
        assert event["causation_id"] in seen or event["type"] == "order.placed", (event, seen)
        seen.add(event["id"])
    # Each shown within 2 s of the bus delivering it to the log.
    delays = [arrived - event["logged_at"] / 1000 for arrived, event in shown]
    print(f"tail: shown {min(delays):.2f}..{max(delays):.2f} s after publishing")
    assert max(delays) <= SHOWN_WITHIN_SECONDS, delays
