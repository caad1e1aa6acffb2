"""At-least-once delivery cannot do harm: duplicates change nothing, poison goes to a dead-letter queue."""

import json
import uuid
from collections import Counter

import pytest

from contracts import load_catalog
from saga_client.operations import (
    count_items,
    event_log,
    get_order,
    place_order,
    queue_messages,
    seed_stock,
    stock_level,
    wait_until_quiet,
)
from saga_client.state import SagaState
from saga_client.target import eventually
from tests.e2e.orders import an_order, settled_order
from tests.e2e.redelivery import consumers_of, redeliver
from tests.e2e.test_saga import notified, timeline_with

# One worker runs these together, on the one running system they share (./run test: xdist loadgroup).
pytestmark = pytest.mark.xdist_group("running-system")

CONSUMING_CONTEXTS = sorted({c for e in load_catalog().events for c in e.consumers})
# What an order to a country that is not served publishes, one event each.
SAGA_OF_AN_UNSERVED_ORDER = [
    "order.placed",  # v3, for inventory, payment and shipping
    "inventory.reserved",
    "payment.captured",
    "loyalty.points-awarded",
    "shipping.failed",
    "order.cancelled",
    "inventory.released",
    "payment.refunded",
    "loyalty.points-revoked",
]


def drained(saga, timeout):
    assert wait_until_quiet(saga, CONSUMING_CONTEXTS, timeout), f"queues still busy after {timeout}s"


def table_sizes(saga, context):
    db = saga.client("dynamodb")
    return {
        table: count_items(db, "scan", TableName=name, ConsistentRead=True)
        for table, name in saga.context(context)["tables"].items()
    }


def test_every_event_delivered_twice_has_no_double_effect_anywhere(saga, sku, inbox, patience):
    mug = sku("mug")
    seed_stock(saga, {mug: 5})
    order_id = place_order(saga, an_order((mug, 2), country="JP")).body["orderId"]
    # The unserved country runs the longest saga: capture, failure, cancel, release, refund, revoke.
    timeline_with(
        saga,
        order_id,
        ["inventory.released", "payment.refunded", "loyalty.points-revoked", "order.cancelled"],
        patience,
    )
    notified(inbox, order_id, "order.cancelled", patience)
    drained(saga, patience)
    before = SagaState.read(saga, order_id)
    events = event_log(saga, order_id)
    logged_once = Counter(event["id"] for event in events)
    assert sorted(event["type"] for event in events) == sorted(SAGA_OF_AN_UNSERVED_ORDER)
    assert set(logged_once.values()) == {1}

    # Every integration event of this saga, delivered a second time through the global bus.
    taken = redeliver(saga, events, patience)

    assert taken == {context: {e["id"] for e in events if context in consumers_of(e)} for context in CONSUMING_CONTEXTS}
    drained(saga, patience)
    after = SagaState.read(saga, order_id)
    assert after == before
    assert stock_level(saga, mug) == 5
    # The bus logged each copy it carried, and nothing new was published in answer to them.
    assert Counter(event["id"] for event in event_log(saga, order_id)) == {i: 2 for i in logged_once}
    assert [m["kind"] for m in inbox.messages_for(order_id)] == ["order.cancelled"]
    assert get_order(saga, order_id).body["timeline"] == before.order["timeline"]


@pytest.fixture(scope="module")
def poisoned(saga, patience):
    """One poison message in every consuming context's queue at once, so their retries overlap
    and six dead-letterings take the time of one: per context, the dead-lettered message and the
    context's table sizes before the poison and once it was dead-lettered."""
    drained(saga, patience)
    before = {context: table_sizes(saga, context) for context in CONSUMING_CONTEXTS}
    markers = {context: f"poison-{uuid.uuid4()}" for context in CONSUMING_CONTEXTS}
    sqs = saga.client("sqs")
    for context, marker in markers.items():
        body = json.dumps({"detail": {"poison": marker}})
        sqs.send_message(QueueUrl=saga.context(context)["queueUrl"], MessageBody=body)
    outcome = {}
    for context, marker in markers.items():
        dead_letters = saga.context(context)["deadLetterQueueUrl"]

        def dead_lettered(dead_letters=dead_letters, marker=marker):
            return [m for m in queue_messages(saga, dead_letters) if marker in m["Body"]] or None

        [message] = eventually(dead_lettered, timeout=patience)
        sqs.delete_message(QueueUrl=dead_letters, ReceiptHandle=message["ReceiptHandle"])
        outcome[context] = (message, before[context], table_sizes(saga, context))
    return outcome


@pytest.mark.parametrize("context", CONSUMING_CONTEXTS)
def test_a_poison_message_in_any_context_ends_in_its_dead_letter_queue(saga, sku, inbox, patience, poisoned, context):
    message, tables_before, tables_after = poisoned[context]
    assert int(message["Attributes"]["ApproximateReceiveCount"]) >= 3
    assert tables_after == tables_before
    # The saga still works for everyone else.
    mug = sku("mug")
    seed_stock(saga, {mug: 5})
    order_id = place_order(saga, an_order((mug, 1))).body["orderId"]
    settled_order(saga, order_id, {"CONFIRMED"}, patience)
    notified(inbox, order_id, "order.confirmed", patience)
