"""Playing one order of each saga path on the embedded cloud, measuring what it asked of AWS, and pricing it."""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks.cost import executions
from benchmarks.cost.dynamodb_units import UnitCounter
from benchmarks.cost.usage import FunctionRun, Measurement, OrderUsage, price_order
from benchmarks.soak.processes import cpu_seconds
from benchmarks.soak.recording import RECORDING_VARIABLE, GarbledRecording, record_saga
from contracts import load_catalog
from demo.scenarios import Scenario
from localcloud.provisioning.deployment import state_dir
from saga_client import SagaTarget
from saga_client.operations import place_order

if TYPE_CHECKING:
    from localcloud import EmbeddedCloud

# Enough of the demo's SKUs for the warm-up and every path, but still too little tea for "out of stock".
STOCK = {"MUG-RED": 100, "TEA-EARL-GREY": 3}
# A retried payment waits out the embedded cloud's retry delay (1 s) in silence.
QUIET_SECONDS = 3.0
PUMPED_SECONDS = 0.5


def record_requests(project_dir: Path, stack: str) -> Path:
    """Where moto's request recorder writes, set for the embedded cloud started next (moto reads
    the variable when it starts)."""
    directory = state_dir(project_dir, stack)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "moto-recording.jsonl"
    os.environ[RECORDING_VARIABLE] = str(path)
    return path


def play_and_price(
    cloud: EmbeddedCloud, saga: SagaTarget, recording_path: Path, scenarios: Iterable[Scenario]
) -> list[OrderUsage]:
    """One order of each scenario, one after the other, each priced by what it asked of AWS. The
    functions should be warm: a figure that carries a cold start is the cold start's."""
    assert cloud.deployment is not None
    catalog = load_catalog()
    idempotency_tables = {
        f.environment["IDEMPOTENCY_TABLE"] for f in cloud.deployment.functions if "IDEMPOTENCY_TABLE" in f.environment
    }
    units = UnitCounter(saga.client("dynamodb"))
    usages = []
    for scenario in scenarios:
        measured = measure(cloud, saga, recording_path, scenario)
        usage = price_order(measured, catalog, cloud.outputs["globalBusName"], idempotency_tables, units)
        print(f"{scenario.title}: {measured.status}, ${usage.total():.2f} per million", flush=True)
        usages.append(usage)
    return usages


def measure(cloud: EmbeddedCloud, saga: SagaTarget, recording_path: Path, scenario: Scenario) -> Measurement:
    for _ in range(2):
        try:
            return _measure(cloud, saga, recording_path, scenario)
        except GarbledRecording as error:
            print(f"recording again: {error}", flush=True)
    return _measure(cloud, saga, recording_path, scenario)


def _measure(cloud: EmbeddedCloud, saga: SagaTarget, recording_path: Path, scenario: Scenario) -> Measurement:
    assert cloud.deployment is not None and cloud.functions is not None
    functions = cloud.deployment.functions
    logs = {f.name: cloud.functions.log_path(f.name) for f in functions}
    metrics = {f.name: cloud.functions.metrics_path(f.name) for f in functions}
    offsets: dict[str, int] = {}
    metric_offsets: dict[str, int] = {}
    cpu_before: dict[int, float] = {}
    requests = 0
    # Signed in before the recording starts: a customer signs in once a session, not once an order.
    customer = f"cost-{uuid.uuid4().hex[:8]}"
    saga.customers.token(customer)

    def act() -> str:
        nonlocal requests
        # Taken once the previous saga is quiet: what the logs gain from here is this order's.
        offsets.update({name: path.stat().st_size for name, path in logs.items()})
        metric_offsets.update({name: path.stat().st_size for name, path in metrics.items()})
        cpu_before.update(_instance_cpu(cloud))
        response = place_order(saga, scenario.order(), customer=customer)
        requests += 1
        if response.status != 202:
            raise RuntimeError(f"{scenario.title}: POST /orders answered {response.status}: {response.body}")
        order_id = str(response.body["orderId"])
        if scenario.cancel_at_once:
            saga.http("POST", f"/orders/{order_id}/cancel", customer=customer)
            requests += 1
        return order_id

    recording, status = record_saga(saga, cloud.endpoint_url, recording_path, act, QUIET_SECONDS, timeout=90)
    # The host pumps an instance's output a moment after the instance answered: the GET's metrics line.
    time.sleep(PUMPED_SECONDS)
    requests += 1  # the customer's one GET /orders/{id}, made inside the recording
    cpu_after = _instance_cpu(cloud)
    labels = cloud.functions.process_ids()
    spent: dict[str, float] = {}
    for label, pid in labels.items():
        if pid in cpu_before and pid in cpu_after:  # an instance started meanwhile is a cold start: left out
            logical_name = label.rsplit("#", 1)[0]
            spent[logical_name] = spent.get(logical_name, 0.0) + cpu_after[pid] - cpu_before[pid]
    runs = [
        FunctionRun(
            f.logical_name,
            f.memory_size,
            any(m.source_type == "sqs" for m in cloud.deployment.mappings_for(f.name)),
            _read_from(logs[f.name], offsets[f.name]),
            spent.get(f.logical_name, 0.0),
            _durations(_read_from(metrics[f.name], metric_offsets[f.name])),
        )
        for f in functions
    ]
    order_id = recording.order_id
    return Measurement(
        scenario.title,
        status,
        recording.requests,
        runs,
        _event_log(saga, order_id),
        requests,
        saga_style=str(saga.outputs.get("sagaStyle", "choreography")),
        state_transitions=executions.billed_transitions(executions.history(saga, order_id)),
        execution_log_messages=executions.log_messages(saga, order_id),
    )


def _instance_cpu(cloud: EmbeddedCloud) -> dict[int, float]:
    assert cloud.functions is not None
    found = {}
    for pid in cloud.functions.process_ids().values():
        try:
            found[pid] = cpu_seconds(pid)
        except OSError:
            continue  # it died meanwhile
    return found


def _durations(metrics_text: str) -> list[float]:
    """Each invocation's duration, from the function's metrics (one JSON line per invocation)."""
    return [json.loads(line)["durationMs"] for line in metrics_text.splitlines()]


def _read_from(path: Path, offset: int) -> str:
    with path.open("rb") as log:
        log.seek(offset)
        return log.read().decode(errors="replace")


def _event_log(saga: SagaTarget, order_id: str) -> list[str]:
    """The raw entries the global bus's event log holds for the order, as CloudWatch Logs ingested them."""
    logs = saga.client("logs")
    kwargs = {"logGroupName": saga.outputs["eventLogGroup"], "filterPattern": f'"{order_id}"'}
    messages: list[str] = []
    while True:
        page = logs.filter_log_events(**kwargs)
        messages += [entry["message"] for entry in page.get("events", [])]
        if not page.get("nextToken"):
            return messages
        kwargs["nextToken"] = page["nextToken"]
