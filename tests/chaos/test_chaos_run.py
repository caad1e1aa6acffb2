"""The chaos run as CI runs it: 100 orders of every kind under every fault kind, 0 violations."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

# A worker of its own under pytest-xdist: it starts its own embedded cloud.
pytestmark = pytest.mark.xdist_group("chaos")

PROJECT_DIR = Path(__file__).resolve().parents[2]
ORDERS = 100


@pytest.mark.e2e
def test_saga_keeps_every_invariant_under_every_fault():
    run = subprocess.run(
        [sys.executable, "-m", "chaos", "--orders", str(ORDERS), "--seed", "2026"],
        cwd=PROJECT_DIR,
        env={**os.environ, "LOCALCLOUD_INSTANCE": "chaos-ci"},
        capture_output=True,
        text=True,
        timeout=900,
    )
    report = run.stdout + run.stderr
    print(report)
    summary = re.search(r"^chaos: (\d+) orders, (\d+) faults injected, (\d+) invariant violations$", run.stdout, re.M)
    assert summary, f"no summary line:\n{report[-3000:]}"
    orders, faults, violations = map(int, summary.groups())
    assert (orders, violations) == (ORDERS, 0), report[-6000:]
    assert faults > 0
    # Every fault kind struck at least once: a run where one kind never fired proves nothing about it.
    for kind in ("duplicate_delivery", "delivery_delay", "put_events_failure", "dynamodb_throttling", "instance_kill"):
        injected = re.search(rf"^\| {kind} \| (\d+) \|$", run.stdout, re.M)
        assert injected and int(injected.group(1)) > 0, f"{kind} was never injected:\n{report[-3000:]}"
    assert run.returncode == 0
