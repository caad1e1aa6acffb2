"""Turns a FaultPlan on in a running embedded cloud, and counts what it injected.

The emulator's faults are switched through the moto server's control path; killing
function instances is the function host's job, driven here by a seeded clock.
"""

from __future__ import annotations

import json
import random
import threading
import urllib.request
from collections import Counter
from typing import Protocol

from localcloud.emulator.faults import FAULTS_PATH
from localcloud.faults.plan import FAULT_KINDS, FaultPlan


class KillsInstances(Protocol):
    def kill_instance(self, function_name: str) -> bool:
        """SIGKILL a busy instance of the function (it is replaced); False when none is busy."""
        ...


_KILL_TRIES = 40
_KILL_RETRY_SECONDS = 0.02


class FaultInjector:
    def __init__(self, endpoint_url: str, functions: KillsInstances, function_names: list[str]) -> None:
        self._control_url = endpoint_url.rstrip("/") + FAULTS_PATH
        self._functions = functions
        self._function_names = sorted(function_names)
        self._plan = FaultPlan()
        self._kills: Counter[str] = Counter()
        self._stop = threading.Event()
        self._baseline: Counter[str] = Counter()
        self._killer: threading.Thread | None = None

    def start(self, plan: FaultPlan) -> FaultInjector:
        self.stop()
        self._plan = plan
        self._kills.clear()
        # The emulator counts since it started; this run's faults are what it adds from here.
        self._baseline = Counter(self._emulator_counts())
        self._put(plan)
        if plan.instance_kill > 0 and self._function_names:
            self._stop.clear()
            self._killer = threading.Thread(target=self._kill_now_and_then, name="fault-killer", daemon=True)
            self._killer.start()
        return self

    def stop(self) -> None:
        """Faults off; what was injected stays readable through `injected()`."""
        self._stop.set()
        if self._killer is not None:
            self._killer.join(timeout=30)
            self._killer = None
        self._put(FaultPlan(seed=self._plan.seed))

    def injected(self) -> dict[str, int]:
        """How many faults of each kind were injected since `start`."""
        counts = Counter(self._emulator_counts())
        counts.subtract(self._baseline)
        counts["instance_kill"] = sum(self._kills.values())
        return {kind: counts[kind] for kind in FAULT_KINDS}

    def kills_by_function(self) -> dict[str, int]:
        return dict(self._kills)

    def _put(self, plan: FaultPlan) -> None:
        request = urllib.request.Request(
            self._control_url,
            data=json.dumps(plan.to_json()).encode(),
            method="PUT",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10):
            pass

    def _emulator_counts(self) -> dict[str, int]:
        with urllib.request.urlopen(self._control_url, timeout=10) as response:
            return dict(json.loads(response.read())["injected"])

    def _kill_now_and_then(self) -> None:
        stream = random.Random(f"{self._plan.seed}:instance_kill")
        while not self._stop.wait(1.0):
            if stream.random() >= self._plan.instance_kill:
                continue
            # A kill that finds nothing busy waits for a victim (within the second) rather than
            # lapsing: invocations are short, and a run in which no kill landed proves nothing.
            for _ in range(_KILL_TRIES):
                name = stream.choice(self._function_names)
                if self._functions.kill_instance(name):
                    self._kills[name] += 1
                    break
                if self._stop.wait(_KILL_RETRY_SECONDS):
                    return
