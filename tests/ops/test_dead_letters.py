"""A message that cannot be handled shows in `ops dlq` with why; once its cause is fixed, `ops dlq
redrive` moves it back and the saga completes, with nothing lost and nothing done twice.

The poison is a real one: payment's copy of order.placed is lost (taken from its queue before the
worker sees it), so payment cannot charge when inventory.reserved arrives (it does not know the
order yet), retries it until the queue's redrive policy dead-letters it. The fix is delivering the
lost event; the redrive then lets payment charge.
"""

import json
from collections import Counter

import pytest

from saga_client.operations import (
    event_log,
    place_order,
    queue_depth,
    queue_messages,
    seed_stock,
    wait_until_quiet,
)
from saga_client.state import SagaState, gateway_charges
from saga_client.target import eventually
from tests.e2e.orders import an_order, settled_order
from tests.e2e.test_saga import notified
from tests.ops.conftest import SAGA_OF_A_CONFIRMED_ORDER, dead_letter_patience

pytestmark = pytest.mark.xdist_group("running-system")


def _waiting(saga, context, wanted_types, order_id):
    """The context's queued messages of the order, by event type, once every wanted type waits there.
    The queue's depth is watched first: every peek is a receive, and receives count towards the
    redrive policy's maxReceiveCount."""

    def all_there():
        if queue_depth(saga, saga.context(context)["queueUrl"]) < len(wanted_types):
            return None
        found = {}
        for message in queue_messages(saga, saga.context(context)["queueUrl"]):
            event = json.loads(message["Body"]).get("detail", {})
            if event.get("data", {}).get("orderId") == order_id:
                found[event["type"]] = message
        return found if set(wanted_types) <= set(found) else None

    all_there.__name__ = f"{sorted(wanted_types)} of {order_id} waiting in the {context} queue"
    return all_there


def test_a_dead_letter_shows_why_and_a_redrive_after_the_fix_completes_the_saga(saga, sku, inbox, patience, ops):
    mug = sku("mug")
    seed_stock(saga, {mug: 5})
    sqs = saga.client("sqs")
    payment_queue = saga.context("payment")["queueUrl"]

    with saga.paused("payment"):
        order_id = place_order(saga, an_order((mug, 1))).body["orderId"]
        waiting = eventually(
            _waiting(saga, "payment", {"order.placed", "inventory.reserved"}, order_id), timeout=patience, interval=0.5
        )
        lost = waiting["order.placed"]
        sqs.delete_message(QueueUrl=payment_queue, ReceiptHandle=lost["ReceiptHandle"])

    def dead_lettered():
        queues = ops("dlq")[0]["deadLetterQueues"]
        [payment] = [q for q in queues if q["context"] == "payment"]
        mine = [m for m in payment["messages"] if m["order_id"] == order_id]
        return (payment, mine) if mine else None

    payment_dlq, [letter] = eventually(
        dead_lettered, timeout=dead_letter_patience(saga, "payment", patience), interval=1
    )

    # What `ops dlq` says about it: the event, the order, and why it is there.
    assert (letter["event_type"], letter["failed_in"]) == ("inventory.reserved", "sqs")
    assert letter["event_id"] == json.loads(waiting["inventory.reserved"]["Body"])["detail"]["id"]
    assert letter["receive_count"] >= payment_dlq["maxReceiveCount"]
    assert f"in {payment_dlq['maxReceiveCount']} receives" in letter["reason"]
    assert payment_dlq["depth"] >= 1 and payment_dlq["oldestAgeSeconds"] >= 0
    # Nothing was charged, and `ops order` shows the dead letter in the order's story.
    assert gateway_charges(saga, order_id) == []
    story = ops("order", order_id)[0]
    assert [d["event_id"] for d in story["deadLetters"]] == [letter["event_id"]]

    # The fix: payment gets the order.placed it lost. Then the redrive.
    sqs.send_message(QueueUrl=payment_queue, MessageBody=lost["Body"])
    task = ops("dlq", "redrive", "payment")[0]

    assert task["status"] == "COMPLETED" and task["moved"] >= 1
    settled_order(saga, order_id, {"CONFIRMED"}, patience)
    notified(inbox, order_id, "order.confirmed", patience)
    assert wait_until_quiet(saga, ["payment", "shipping", "loyalty", "notification", "order"], patience)
    # Nothing lost, nothing twice: one charge, each event published once, one notification, an empty DLQ.
    state = SagaState.read(saga, order_id)
    assert state.charges == ("CAPTURED",)
    assert state.payment["status"] == "CAPTURED"
    assert state.shipment["status"] == "SCHEDULED"
    assert [kind for entry_order, kind, _, _ in state.loyalty if entry_order == order_id] == ["AWARD"]
    logged = Counter(event["id"] for event in event_log(saga, order_id))
    assert sorted(e["type"] for e in {e["id"]: e for e in event_log(saga, order_id)}.values()) == sorted(
        SAGA_OF_A_CONFIRMED_ORDER
    )
    assert set(logged.values()) == {1}
    assert [m["kind"] for m in inbox.messages_for(order_id)] == ["order.confirmed"]
    after = ops("dlq")[0]["deadLetterQueues"]
    assert [m for q in after for m in q["messages"] if m["order_id"] == order_id] == []
