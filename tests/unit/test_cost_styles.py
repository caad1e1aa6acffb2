"""The cost model under either saga style: routing by style, billed transitions, the side-by-side table."""

import json
from dataclasses import asdict

from benchmarks.cost import prices
from benchmarks.cost.dynamodb_units import UnitCounter
from benchmarks.cost.executions import billed_transitions
from benchmarks.cost.report import Summary
from benchmarks.cost.usage import Measurement, forwarded_to, price_order
from benchmarks.soak.recording import RecordedRequest
from benchmarks.styles import StyleRun, cost_table, difference
from contracts import load_catalog

GLOBAL_BUS = "saga-global"


def put_events(event_type: str, version: int) -> RecordedRequest:
    detail = {"type": event_type, "dataschema": f"https://schemas.example/events/{event_type}/v{version}.json"}
    entry = {"EventBusName": GLOBAL_BUS, "Source": "saga.inventory", "Detail": json.dumps(detail)}
    body = json.dumps({"Entries": [entry]}).encode()
    return RecordedRequest("POST", "/", {"X-Amz-Target": "AWSEvents.PutEvents"}, body)


def measured(style: str, *, transitions: int = 0, execution_log: list[str] | None = None) -> Measurement:
    return Measurement(
        "happy path",
        "CONFIRMED",
        [put_events("inventory.reserved", 1)],
        functions=[],
        event_log_messages=[],
        api_requests=0,
        saga_style=style,
        state_transitions=transitions,
        execution_log_messages=execution_log or [],
    )


def test_under_orchestration_the_global_bus_forwards_no_event_a_step_does_instead():
    catalog = load_catalog()

    assert forwarded_to(catalog, "inventory.reserved", 1, "choreography") == ("order", "payment")
    # The state machine charges the payment: inventory.reserved goes to the order's bus only.
    assert forwarded_to(catalog, "inventory.reserved", 1, "orchestration") == ("order",)


def test_an_event_is_priced_once_published_and_once_per_forward_and_queue_send_of_its_style():
    catalog = load_catalog()
    choreographed = price_order(measured("choreography"), catalog, GLOBAL_BUS, set(), UnitCounter(None))
    orchestrated = price_order(measured("orchestration"), catalog, GLOBAL_BUS, set(), UnitCounter(None))

    assert (choreographed.units("EventBridge"), choreographed.units("SQS")) == (3, 2)
    assert (orchestrated.units("EventBridge"), orchestrated.units("SQS")) == (2, 1)


def test_an_execution_is_priced_by_its_transitions_and_its_log_bytes():
    usage = price_order(
        measured("orchestration", transitions=8, execution_log=["x" * 100]),
        load_catalog(),
        GLOBAL_BUS,
        set(),
        UnitCounter(None),
    )

    assert usage.units("Step Functions") == 8
    assert usage.by_component()["Step Functions"] == prices.STEP_FUNCTIONS_TRANSITION.of(8) * 1_000_000
    assert sum(c.units for c in usage.charges if c.what == "execution log") == 100


def test_each_state_entered_and_each_retry_of_a_task_is_a_billed_transition():
    history = [
        {"type": "ExecutionStarted"},
        {"type": "TaskStateEntered"},
        {"type": "TaskScheduled"},
        {"type": "TaskFailed"},
        {"type": "TaskScheduled"},  # the retry: scheduled again, the state not entered again
        {"type": "TaskSucceeded"},
        {"type": "TaskStateExited"},
        {"type": "SucceedStateEntered"},
        {"type": "ExecutionSucceeded"},
    ]

    assert billed_transitions(history) == 3
    assert billed_transitions([]) == 0


def run(style: str, usd: dict[str, float]) -> StyleRun:
    summary = Summary("happy path", "CONFIRMED", usd, {"state transitions": 6.0})
    return StyleRun(style, 1, 1.0, 1.0, 7.0, 5.0, 12.0, {"order-api-fn": 1.0}, 6.0, [summary])


def test_the_side_by_side_cost_table_shows_every_component_and_totals_them():
    choreography = run("choreography", {"Lambda requests": 3.0, "SQS": 13.2})
    orchestration = run("orchestration", {"Lambda requests": 2.6, "Step Functions": 0.2, "X-Ray": 0.5})

    rows = {line.split(" | ")[0].removeprefix("| "): line for line in cost_table([choreography, orchestration])}

    assert rows["Step Functions"] == "| Step Functions | $0.00 | $0.20 |"
    assert rows["SQS"] == "| SQS | $13.20 | $0.00 |"
    assert "X-Ray" in rows  # a component the table's order does not name is still shown
    assert rows["**total**"] == "| **total** | **$16.20** | **$3.30** |"


def test_the_difference_names_what_moved_largest_first_and_leaves_out_what_did_not():
    choreography = run("choreography", {"Lambda requests": 3.0, "SQS": 13.2, "EventBridge": 17.0})
    orchestration = run("orchestration", {"Lambda requests": 3.0, "SQS": 6.0, "Step Functions": 150.0})

    assert difference([choreography, orchestration], "happy path") == (
        "Step Functions +150.00, EventBridge -17.00, SQS -7.20; in all +125.80"
    )


def test_a_saved_run_reads_back_as_it_was():
    saved = run("orchestration", {"Step Functions": 150.0})

    assert StyleRun.from_json(json.loads(json.dumps(asdict(saved)))) == saved
