"""The orchestrated saga (sagaStyle orchestration) refuses an execution input that breaks its
contract, as a deployed state machine would meet one: started by hand from the console, or redriven
after a contract change. No step acts on any of it; the order is cancelled with a reason and the
execution fails naming the field. The run is on the embedded cloud's Step Functions interpreter.
(A task that dies after its side effect and is retried to a single charge: tests/integration/
test_saga_tasks.py, where the crash can be placed right after the gateway's capture.)
"""

import copy
import json

import pytest

from saga_client import SagaTarget
from saga_client.operations import event_log, get_order, place_order, seed_stock, stock_level
from saga_client.state import SagaState
from saga_client.target import eventually
from tests.conftest import RunningSystems
from tests.e2e.orders import an_order, settled_order

# With the orchestrated scenarios of tests/e2e/test_saga.py, on the orchestrated running system.
pytestmark = pytest.mark.xdist_group("orchestration")


@pytest.fixture(scope="session")
def saga(running_systems: RunningSystems) -> SagaTarget:
    target = running_systems.target("orchestration")
    if target.saga_style != "orchestration":
        pytest.skip(f"the deployed stack runs the {target.saga_style} saga: it has no state machine")
    return target


def placed_v3(saga: SagaTarget, order_id: str) -> dict:
    """The order.placed v3 the order API wrote to its outbox: what the relay would start the saga with."""
    items = saga.client("dynamodb").query(
        TableName=saga.table("order", "orders"),
        KeyConditionExpression="pk = :pk AND begins_with(sk, :timeline)",
        ExpressionAttributeValues={":pk": {"S": f"ORDER#{order_id}"}, ":timeline": {"S": "TIMELINE#"}},
        ConsistentRead=True,
    )["Items"]
    [placed] = [
        event
        for event in (json.loads(item["event"]["S"]) for item in items)
        if event["type"] == "order.placed" and event["dataschema"].endswith("/v3.json")
    ]
    return placed


def finished(saga: SagaTarget, execution_arn: str, timeout: float) -> dict:
    sfn = saga.client("stepfunctions")

    def done():
        described = sfn.describe_execution(executionArn=execution_arn)
        return described if described["status"] != "RUNNING" else None

    done.__name__ = f"execution {execution_arn} to finish"
    return eventually(done, timeout=timeout)


def test_an_input_with_a_negative_quantity_fails_the_execution_and_cancels_the_order(saga, sku, patience):
    mug = sku("mug")
    seed_stock(saga, {mug: 5})
    machine = saga.outputs["orchestrator"]["stateMachineArn"]
    sfn = saga.client("stepfunctions")

    # The relay held back, so no execution of the order exists before the one started by hand.
    with saga.paused("order", "outbox-relay"):
        order_id = place_order(saga, an_order((mug, 2))).body["orderId"]
        placed = copy.deepcopy(placed_v3(saga, order_id))
        # Acted upon, a quantity of -2 would put two mugs on the shelf that nobody returned.
        placed["data"]["lines"][0]["quantity"] = -2
        execution = sfn.start_execution(
            stateMachineArn=machine, name=order_id, input=json.dumps({"orderId": order_id, "placed": placed})
        )["executionArn"]
        described = finished(saga, execution, patience)

        assert described["status"] == "FAILED"
        assert described["error"] == "SagaInputInvalid"
        assert "lines/0/quantity" in json.loads(described["cause"])["errorMessage"]
        order = settled_order(saga, order_id, {"CANCELLED"}, patience)
        assert order["cancellationReason"] == "TIMEOUT"
        assert stock_level(saga, mug) == 5

    # The relay, back, publishes order.placed and finds the order's execution started already:
    # nothing is reserved, charged or booked for an order cancelled.
    eventually(lambda: any(e["type"] == "order.placed" for e in event_log(saga, order_id)) or None, timeout=patience)
    executions = sfn.list_executions(stateMachineArn=machine)["executions"]
    assert [e["status"] for e in executions if e["name"] == order_id] == ["FAILED"]
    state = SagaState.read(saga, order_id)
    assert state.order["status"] == "CANCELLED"
    assert stock_level(saga, mug) == 5
    assert state.charges == ()
    cancelled = [e for e in get_order(saga, order_id).body["timeline"] if e["type"] == "order.cancelled"]
    assert len(cancelled) == 1
