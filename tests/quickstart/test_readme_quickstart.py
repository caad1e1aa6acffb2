"""The README's quickstart, played literally: `./run up`, then the request it prints, until CONFIRMED."""

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.harness.quickstart import pasted_commands

# A worker of its own under pytest-xdist: it starts its own embedded cloud.
pytestmark = pytest.mark.xdist_group("quickstart")

PROJECT_DIR = Path(__file__).resolve().parents[2]


def quickstart() -> str:
    readme = (PROJECT_DIR / "README.md").read_text()
    return readme.split("<!-- quickstart:start -->")[1].split("<!-- quickstart:end -->")[0]


@pytest.mark.e2e
def test_the_printed_request_places_an_order_that_is_confirmed():
    [command] = re.findall(r"^(\./run up)\b", quickstart(), re.M)
    up = subprocess.Popen(
        ["bash", "-c", command],
        cwd=PROJECT_DIR,
        env={**os.environ, "LOCALCLOUD_INSTANCE": "quickstart"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        printed = []
        deadline = time.monotonic() + 120
        assert up.stdout is not None
        for line in up.stdout:
            printed.append(line)
            if "Ctrl-C stops" in line or time.monotonic() > deadline:
                break
        output = "".join(printed)
        place, watch = pasted_commands(printed)

        placed = json.loads(subprocess.run(["bash", "-c", place], capture_output=True, text=True, check=True).stdout)
        assert placed["status"] == "PENDING", output
        order_url = watch.replace("<orderId>", placed["orderId"])
        status, until = None, time.monotonic() + 30
        while status != "CONFIRMED" and time.monotonic() < until:
            time.sleep(0.3)
            order = json.loads(subprocess.run(["bash", "-c", order_url], capture_output=True, text=True).stdout)
            status = order["status"]
        assert status == "CONFIRMED", order
        # Loyalty's points may land after the confirmation: the timeline has it, not necessarily last.
        assert "order.confirmed" in [event["type"] for event in order["timeline"]], order
        assert "/openapi.json" in output
    finally:
        os.killpg(up.pid, signal.SIGINT)
        up.wait(timeout=30)
