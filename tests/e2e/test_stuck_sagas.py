"""Stuck sagas end. An order stuck before any payment (its reservation never came) is cancelled with
reason TIMEOUT at once. An order whose payment is stuck in CHARGING (the gateway failed every retry, and
the message was dead-lettered) is resolved after its deadline by the scheduled sweeper. Payment
asks the gateway what became of the charge: one that never completed is voided and the order is
CANCELLED with reason TIMEOUT, compensated as any cancellation; one the gateway captured though its
answer was lost confirms the order. Every context ends consistent, and the late delivery of the
dead-lettered charge changes nothing: never a second charge.

Waits derive from the stack: its order deadline and the sweeper's schedule (stack outputs).
"""

import contextlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from saga_client.operations import place_order as place
from saga_client.operations import queue_messages, reservation, seed_stock, stock_level, wait_until_quiet
from saga_client.state import SagaState, gateway_key, payment
from saga_client.target import eventually
from tests.e2e.orders import an_order, settled_order

# A running system of its own: these wait out a deadline and the sweeper's next run, about two
# minutes of idle time that would otherwise hold up every scenario queued behind them.
pytestmark = pytest.mark.xdist_group("stuck-sagas")

# The gateway's simulation (lambdas/payment/gateway.py): every charge attempt times out before the
# provider charges; or the provider captures at the first attempt and every answer is lost.
NEVER_COMPLETES, ANSWER_LOST = "tok_unreachable", "tok_unanswered"
# An order whose reservation never arrives (inventory's worker paused): no payment was ever asked.
PENDING = "pending"
_UNITS = {"minute": 60, "hour": 3600, "day": 86400}


def sweep_period(saga) -> float:
    rate = re.fullmatch(r"rate\((\d+) (minute|hour|day)s?\)", saga.outputs["sweeperSchedule"])
    assert rate, f"the test knows rate schedules, not {saga.outputs['sweeperSchedule']}"
    return int(rate.group(1)) * _UNITS[rate.group(2)]


def dead_letter_wait(saga, patience: float) -> float:
    """Long enough for payment's retries to run out: visibility timeout x maxReceiveCount on AWS;
    the embedded cloud retries a failed message after a second instead."""
    if saga.endpoint_url is not None:
        return patience
    attributes = saga.client("sqs").get_queue_attributes(
        QueueUrl=saga.context("payment")["queueUrl"], AttributeNames=["VisibilityTimeout", "RedrivePolicy"]
    )["Attributes"]
    return patience + int(attributes["VisibilityTimeout"]) * json.loads(attributes["RedrivePolicy"])["maxReceiveCount"]


def dead_letter_of(saga, order_id: str):
    """The order's inventory.reserved in payment's dead-letter queue, once it is there."""

    def dead_lettered():
        for message in queue_messages(saga, saga.context("payment")["deadLetterQueueUrl"]):
            event = json.loads(message["Body"]).get("detail", {})
            if event.get("type") == "inventory.reserved" and event.get("data", {}).get("orderId") == order_id:
                return message
        return None

    dead_lettered.__name__ = f"payment's dead letter of {order_id}"
    return dead_lettered


def redeliver_late(saga, letter) -> None:
    """The dead-lettered charge delivered again after all (an operator's redrive of just this one)."""
    sqs = saga.client("sqs")
    sqs.send_message(QueueUrl=saga.context("payment")["queueUrl"], MessageBody=letter["Body"])
    sqs.delete_message(QueueUrl=saga.context("payment")["deadLetterQueueUrl"], ReceiptHandle=letter["ReceiptHandle"])


def timeline(state) -> list[str]:
    return [entry["type"] for entry in state.order["timeline"]]


@pytest.fixture(scope="module")
def stuck(saga, patience):
    """Two orders, both stuck in CHARGING with their charge dead-lettered: one the gateway never
    completed, one it captured without anyone hearing. And a third stuck before any payment: its
    reservation waits in inventory's paused queue (`resume_inventory` lets it go)."""
    from tests.conftest import SkuFactory

    mug, lamp = SkuFactory()("mug"), SkuFactory()("lamp")
    seed_stock(saga, {mug: 4, lamp: 2})
    orders = {
        token: place(saga, an_order((mug, 1), token=token)).body["orderId"] for token in (NEVER_COMPLETES, ANSWER_LOST)
    }
    letters = {}
    for token, order_id in orders.items():
        letters[token] = eventually(
            dead_letter_of(saga, order_id), timeout=dead_letter_wait(saga, patience), interval=1
        )
        assert payment(saga, order_id)["status"] == "CHARGING"
        assert get_status(saga, order_id) == "STOCK_RESERVED"
    with contextlib.ExitStack() as inventory:
        inventory.enter_context(saga.paused("inventory"))
        orders[PENDING] = place(saga, an_order((lamp, 1))).body["orderId"]
        yield Stuck(mug, lamp, orders, letters, inventory.close)


@dataclass
class Stuck:
    mug: str
    lamp: str
    orders: dict[str, str]
    letters: dict[str, dict]
    resume_inventory: Callable[[], None]


def test_an_order_stuck_before_any_payment_is_cancelled_timeout_at_once(saga, stuck, inbox, patience):
    order_id = stuck.orders[PENDING]

    settled_order(saga, order_id, {"CANCELLED"}, beyond_the_deadline(saga, patience))
    stuck.resume_inventory()
    assert wait_until_quiet(saga, ["inventory", "payment", "shipping", "notification", "order"], patience)

    state = SagaState.read(saga, order_id)
    assert (state.order["cancellationReason"], state.order["status"]) == ("TIMEOUT", "CANCELLED")
    # Nothing to ask payment: the order was cancelled directly, and every context undid its part.
    assert "order.deadline-passed" not in timeline(state)
    assert stock_level(saga, stuck.lamp) == 2
    # The late order.placed is refused (the cancellation came first) or reserved and then released.
    assert state.reservation["status"] in {"CANCELLED", "RELEASED"}
    assert state.payment["status"] == "CANCELLED"
    assert state.charges == ()
    assert state.shipment["status"] == "CANCELLED"
    assert [m["kind"] for m in eventually(lambda: inbox.messages_for(order_id) or None, timeout=patience)] == [
        "order.cancelled"
    ]


def get_status(saga, order_id: str) -> str:
    return SagaState.read(saga, order_id).order["status"]


def beyond_the_deadline(saga, patience: float) -> float:
    return saga.outputs["orderDeadlineSeconds"] + sweep_period(saga) + patience


def test_a_charge_that_never_completed_is_voided_and_the_order_cancelled_timeout(saga, stuck, inbox, patience):
    mug, orders, letters = stuck.mug, stuck.orders, stuck.letters
    order_id = orders[NEVER_COMPLETES]

    settled_order(saga, order_id, {"CANCELLED"}, beyond_the_deadline(saga, patience))
    assert wait_until_quiet(saga, ["payment", "inventory", "shipping", "loyalty", "notification", "order"], patience)

    state = SagaState.read(saga, order_id)
    assert state.order["cancellationReason"] == "TIMEOUT"
    assert {"order.deadline-passed", "payment.declined", "order.cancelled", "inventory.released"} <= set(
        timeline(state)
    )
    assert "payment.captured" not in timeline(state)
    assert state.reservation["status"] == "RELEASED"
    assert (state.payment["status"], state.payment["declineReason"]) == ("DECLINED", "DEADLINE_PASSED")
    assert state.charges == ()
    assert gateway_key(saga, order_id)["state"] == "VOIDED"
    assert state.shipment["status"] == "CANCELLED"
    assert [entry for entry in state.loyalty if entry[0] == order_id] == []
    [told] = eventually(lambda: inbox.messages_for(order_id) or None, timeout=patience)
    assert told["kind"] == "order.cancelled" and "in time" in told["body"]
    assert stock_level(saga, mug) == 3  # its mug is back; the other order's is held for it

    # The charge that was dead-lettered arrives after all: it charges nothing and changes nothing.
    redeliver_late(saga, letters[NEVER_COMPLETES])
    assert wait_until_quiet(saga, ["payment", "order", "inventory", "shipping"], patience)
    after = SagaState.read(saga, order_id)
    assert (after.order["status"], after.payment["status"], after.charges) == ("CANCELLED", "DECLINED", ())
    assert after.reservation["status"] == "RELEASED"


def test_a_charge_the_gateway_captured_unheard_confirms_the_order(saga, stuck, inbox, patience):
    mug, orders, letters = stuck.mug, stuck.orders, stuck.letters
    order_id = orders[ANSWER_LOST]

    settled_order(saga, order_id, {"CONFIRMED"}, beyond_the_deadline(saga, patience))
    eventually(lambda: inbox.messages_for(order_id) or None, timeout=patience)
    assert wait_until_quiet(saga, ["payment", "inventory", "shipping", "loyalty", "notification", "order"], patience)

    state = SagaState.read(saga, order_id)
    assert {"order.deadline-passed", "payment.captured", "shipping.scheduled", "loyalty.points-awarded"} <= set(
        timeline(state)
    )
    assert "order.cancelled" not in timeline(state)
    assert reservation(saga, order_id)["status"] == "RESERVED"
    assert state.payment["status"] == "CAPTURED"
    assert state.charges == ("CAPTURED",)
    assert state.shipment["status"] == "SCHEDULED"
    assert [(kind, points) for entry_order, kind, points, _ in state.loyalty if entry_order == order_id] == [
        ("AWARD", 12)
    ]
    assert [m["kind"] for m in inbox.messages_for(order_id)] == ["order.confirmed"]

    # The dead-lettered charge again: the gateway's key answers with its one capture.
    redeliver_late(saga, letters[ANSWER_LOST])
    assert wait_until_quiet(saga, ["payment", "order", "shipping", "loyalty"], patience)
    after = SagaState.read(saga, order_id)
    assert (after.order["status"], after.charges) == ("CONFIRMED", ("CAPTURED",))
    assert stock_level(saga, mug) == 3  # its mug stays sold
