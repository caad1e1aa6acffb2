"""`ops health` says what each alarm would say now, from the alarms' own rules, and lists stuck orders."""

import json
import time
import uuid

import pytest

from components.alarm_rules import API_SERVER_ERRORS, RULES
from ops import health
from ops.stack import Stack
from saga_client.operations import place_order, queue_messages, seed_stock
from saga_client.target import eventually
from tests.e2e.orders import an_order, settled_order
from tests.ops.conftest import dead_letter_patience

pytestmark = pytest.mark.xdist_group("running-system")


def test_every_alarm_of_every_context_is_evaluated(stack):
    views = health.alarms(stack)
    names = {view.alarm for view in views}
    for context in stack.contexts():
        assert f"{context}-dlq-not-empty" in names
        for function in stack.outputs[context]["functions"]:
            assert {f"{context}-{function}-errors", f"{context}-{function}-throttles"} <= names
    assert {view.metric for view in views} == {rule.metric for rule in (*RULES, API_SERVER_ERRORS)}
    assert "order-5xx" in names


def test_a_dead_letter_raises_the_dlq_alarm_until_it_is_gone(saga, patience, ops):
    marker = f"poison-{uuid.uuid4()}"
    loyalty = saga.context("loyalty")
    saga.client("sqs").send_message(
        QueueUrl=loyalty["queueUrl"], MessageBody=json.dumps({"detail": {"poison": marker}})
    )

    def dead_lettered():
        return [m for m in queue_messages(saga, loyalty["deadLetterQueueUrl"]) if marker in m["Body"]] or None

    [message] = eventually(dead_lettered, timeout=dead_letter_patience(saga, "loyalty", patience), interval=1)
    try:
        report = ops("health", expect=1)[0]
        alarms = {a["alarm"]: a for a in report["alarms"]}
        assert alarms["loyalty-dlq-not-empty"]["state"] == "ALARM"
        assert alarms["loyalty-dlq-not-empty"]["value"] >= 1
        assert report["healthy"] is False
    finally:
        saga.client("sqs").delete_message(
            QueueUrl=loyalty["deadLetterQueueUrl"], ReceiptHandle=message["ReceiptHandle"]
        )
    views = {view.alarm: view for view in health.alarms(Stack.of(saga, "dev"))}
    assert views["loyalty-dlq-not-empty"].state == "OK"


def test_an_order_past_its_deadline_and_not_terminal_is_stuck(saga, sku, patience):
    mug = sku("mug")
    seed_stock(saga, {mug: 5})
    impatient = Stack(name="dev", target=saga, config={"orderDeadlineSeconds": "1"})
    with saga.paused("payment"):
        order_id = place_order(saga, an_order((mug, 1))).body["orderId"]
        time.sleep(1.5)
        stuck = {order.order_id: order for order in health.stuck_orders(impatient)}
        assert order_id in stuck
        assert stuck[order_id].status != "CONFIRMED" and stuck[order_id].age_seconds > 1
    settled_order(saga, order_id, {"CONFIRMED"}, patience)
    assert order_id not in {order.order_id for order in health.stuck_orders(impatient)}
    # With the stack's own deadline, a new order is not stuck.
    assert order_id not in {order.order_id for order in health.stuck_orders(Stack.of(saga, "dev"))}
