"""Concurrent writers: several instances of a REAL worker (as Lambda scales out) handle events for the
same stock, payment, order, shipment or ledger at the same time, against moto.

Each instance is its own import of the handler module (its own clients, store and batch
processor), run on its own thread. The writers are held back until every one of them has read
what it decides on, so each race is certain to happen, not merely possible: the store's
conditional writes must refuse the losers (StockChanged, PaymentChanged, ...), SQS redelivers
them, and the end state keeps the saga's promises (no oversell, no money kept for a cancelled
order, never both confirmed and cancelled, ...).
"""

import json
import threading
import uuid
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import pytest
from moto.core.botocore_stubber import BotocoreStubber
from saga_events import new_event

from tests.harness.cloud import Cloud, mocked_cloud
from tests.harness.declared_stack import declared_stack
from tests.harness.lambda_events import LambdaContextStub, http_api_event, record_for, sqs_event
from tests.harness.placed import placed_v3

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics:UserWarning")

CUSTOMER = "cust-42"


@pytest.fixture
def cloud(monkeypatch: pytest.MonkeyPatch) -> Iterator[Cloud]:
    # DynamoDB applies each request atomically; in-process moto does not guard its tables against
    # threads, so requests are made atomic here, as the real service is. Interleaving stays
    # between requests, which is where the handlers' races are.
    atomic = threading.RLock()
    serve = BotocoreStubber.__call__

    def one_request_at_a_time(self: BotocoreStubber, *args: Any, **kwargs: Any) -> Any:
        with atomic:
            return serve(self, *args, **kwargs)

    monkeypatch.setattr(BotocoreStubber, "__call__", one_request_at_a_time)
    with mocked_cloud(monkeypatch) as cloud:
        yield cloud


class Instances:
    """`count` instances of one context's worker, as Lambda runs them side by side."""

    def __init__(self, cloud: Cloud, monkeypatch: pytest.MonkeyPatch, context: str, count: int) -> None:
        self.cloud = cloud
        self.worker = declared_stack().worker(context)
        self.modules = [cloud.deploy(self.worker, declared_stack(), monkeypatch) for _ in range(count)]

    def deliver(self, module: ModuleType, event: dict[str, Any]) -> bool:
        """One SQS batch with the event; True if SQS was told it is done."""
        response = module.handle(sqs_event(record_for(event)), LambdaContextStub(function_name=self.worker.name))
        return response["batchItemFailures"] == []

    def until_done(self, module: ModuleType, event: dict[str, Any], attempts: int = 5) -> int:
        """Redeliver as SQS would until the event is handled; how many deliveries it took."""
        for attempt in range(1, attempts + 1):
            if self.deliver(module, event):
                return attempt
        raise AssertionError(f"{event['type']} still failing after {attempts} deliveries")

    def table(self, variable: str) -> str:
        return self.worker.environment[variable]


class Race:
    """Writers that all read before any of them writes; the errors their writes raised."""

    def __init__(self, writers: int) -> None:
        self._barrier = threading.Barrier(writers, timeout=20)
        self.raised: list[str] = []

    def hold_back(self, owner: object, method: str) -> None:
        """Make `owner.method` wait, on its first call, until every writer has reached its write."""
        real = getattr(owner, method)
        waiting = [True]

        def write(*args: Any, **kwargs: Any) -> Any:
            if waiting[0]:
                waiting[0] = False
                self._barrier.wait()
            try:
                return real(*args, **kwargs)
            except Exception as error:
                self.raised.append(type(error).__name__)
                raise

        setattr(owner, method, write)

    def run(self, *writers: Callable[[], Any]) -> list[Any]:
        """Run each writer on its own thread; their results, in order (an exception is re-raised)."""
        results: list[Any] = [None] * len(writers)

        def run_one(index: int, writer: Callable[[], Any]) -> None:
            try:
                results[index] = writer()
            except BaseException as error:  # handed back to the test's thread
                results[index] = error

        threads = [threading.Thread(target=run_one, args=(i, w)) for i, w in enumerate(writers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return results


def an_event(event_type: str, data: dict[str, Any], source: str, version: int = 1) -> dict[str, Any]:
    return new_event(
        event_type,
        data,
        source=source,
        correlation_id=data["orderId"],
        causation_id=str(uuid.uuid4()),
        version=version,
    )


def placed(order_id: str, sku: str, quantity: int) -> dict[str, Any]:
    price = {"amount": 1250, "currency": "EUR"}
    return an_event(
        "order.placed",
        {
            "orderId": order_id,
            "customerId": CUSTOMER,
            "lines": [{"sku": sku, "quantity": quantity, "unitPrice": price}],
            "total": {"amount": 1250 * quantity, "currency": "EUR"},
            "shippingCountry": "DE",
            # Inventory never opens them (they are payment's and shipping's).
            "encryptedPaymentMethodToken": "AQICAHhub3Qgb3BlbmVk",
            "encryptedShippingAddress": "AQICAHhub3Qgb3BlbmVk",
            "placedAt": "2026-01-01T00:00:00Z",
        },
        "saga.order",
        version=3,
    )


def reserved(order_id: str) -> dict[str, Any]:
    return an_event(
        "inventory.reserved",
        {"orderId": order_id, "lines": [{"sku": "MUG", "quantity": 2}], "reservedAt": "2026-01-01T00:00:01Z"},
        "saga.inventory",
    )


def captured(order_id: str) -> dict[str, Any]:
    return an_event(
        "payment.captured",
        {
            "orderId": order_id,
            "customerId": CUSTOMER,
            "paymentId": "ch_1",
            "amount": {"amount": 2500, "currency": "EUR"},
            "capturedAt": "2026-01-01T00:00:02Z",
        },
        "saga.payment",
    )


def refunded(order_id: str) -> dict[str, Any]:
    return an_event(
        "payment.refunded",
        {
            "orderId": order_id,
            "customerId": CUSTOMER,
            "paymentId": "ch_1",
            "amount": {"amount": 2500, "currency": "EUR"},
            "refundedAt": "2026-01-01T00:00:03Z",
        },
        "saga.payment",
    )


def cancelled(order_id: str) -> dict[str, Any]:
    return an_event(
        "order.cancelled",
        {
            "orderId": order_id,
            "customerId": CUSTOMER,
            "reason": "CUSTOMER_REQUEST",
            "cancelledAt": "2026-01-01T00:00:03Z",
        },
        "saga.order",
    )


def scheduled(order_id: str) -> dict[str, Any]:
    return an_event(
        "shipping.scheduled",
        {"orderId": order_id, "shipmentId": "s-1", "country": "DE", "scheduledAt": "2026-01-01T00:00:03Z"},
        "saga.shipping",
    )


def item(cloud: Cloud, table: str, key: dict[str, str]) -> dict[str, Any]:
    found = cloud.dynamodb.get_item(
        TableName=table, Key={name: {"S": value} for name, value in key.items()}, ConsistentRead=True
    ).get("Item", {})
    return {name: next(iter(value.values())) for name, value in found.items()}


def published_types(cloud: Cloud) -> list[str]:
    return sorted(event["type"] for event in cloud.published())


# --- inventory: six orders for the last three mugs --------------------------------------------------


def test_concurrent_reservations_never_oversell(cloud, monkeypatch):
    inventory = Instances(cloud, monkeypatch, "inventory", count=6)
    stock, reservations = inventory.table("STOCK_TABLE"), inventory.table("RESERVATIONS_TABLE")
    cloud.dynamodb.put_item(TableName=stock, Item={"sku": {"S": "MUG"}, "available": {"N": "3"}})
    orders = [placed(str(uuid.uuid4()), "MUG", 1) for _ in inventory.modules]
    race = Race(writers=6)
    for module in inventory.modules:
        race.hold_back(module.store, "hold")

    # Every instance saw three mugs on the shelf and decided to hold one.
    done = race.run(*[lambda m=m, e=e: inventory.deliver(m, e) for m, e in zip(inventory.modules, orders, strict=True)])

    assert sorted(done) == [False] * 3 + [True] * 3
    assert race.raised == ["StockChanged"] * 3
    for module, order, first_try in zip(inventory.modules, orders, done, strict=True):
        if not first_try:
            assert inventory.until_done(module, order) == 1
    statuses = sorted(item(cloud, reservations, {"orderId": o["data"]["orderId"]})["status"] for o in orders)
    assert statuses == ["REJECTED"] * 3 + ["RESERVED"] * 3
    assert item(cloud, stock, {"sku": "MUG"})["available"] == "0"
    assert published_types(cloud) == ["inventory.reservation-rejected"] * 3 + ["inventory.reserved"] * 3


# --- payment: a cancellation races the charge ------------------------------------------------------


def test_a_cancellation_racing_the_charge_leaves_no_money_taken(cloud, monkeypatch):
    payment = Instances(cloud, monkeypatch, "payment", count=2)
    charger, canceller = payment.modules
    order_id = str(uuid.uuid4())
    assert payment.deliver(charger, placed_v3(order_id))
    charge, cancel = reserved(order_id), cancelled(order_id)
    race = Race(writers=2)
    race.hold_back(charger.store, "begin_charge")
    race.hold_back(canceller.store, "cancel_intent")

    done = race.run(lambda: payment.deliver(charger, charge), lambda: payment.deliver(canceller, cancel))

    assert sorted(done) == [False, True]
    assert race.raised == ["PaymentChanged"]
    payment.until_done(charger, charge)
    payment.until_done(canceller, cancel)
    record = item(cloud, payment.table("PAYMENTS_TABLE"), {"orderId": order_id})
    charges = [c for c in cloud.items(payment.table("GATEWAY_TABLE")) if c["chargeKey"]["S"].startswith("charge#")]
    if done == [True, False]:  # the charge won: it must have been given back
        assert record["status"] == "REFUNDED"
        assert [c["state"]["S"] for c in charges] == ["REFUNDED"]
        assert published_types(cloud) == ["payment.captured", "payment.refunded"]
    else:  # the cancellation won: nothing may be charged
        assert record["status"] == "CANCELLED"
        assert charges == []
        assert published_types(cloud) == []


# --- order: the customer cancels while the shipment is being booked ---------------------------------


def test_a_customer_cancel_racing_the_confirmation_ends_either_confirmed_or_cancelled_never_both(cloud, monkeypatch):
    order = Instances(cloud, monkeypatch, "order", count=1)
    [worker] = order.modules
    api = cloud.deploy(declared_stack().function("order.api.handle"), declared_stack(), monkeypatch)
    body = {
        "currency": "EUR",
        "lines": [{"sku": "MUG", "quantity": 2, "unitPrice": 1250}],
        "paymentMethodToken": "tok_visa",
        "shippingAddress": {
            "recipient": "Ada",
            "line1": "1 Main St",
            "city": "Berlin",
            "postalCode": "1",
            "country": "DE",
        },
    }
    placed = api.handle(
        http_api_event("POST", "/orders", body, customer=CUSTOMER), LambdaContextStub(function_name="order-api")
    )
    order_id = json.loads(placed["body"])["orderId"]
    assert order.deliver(worker, captured(order_id))
    race = Race(writers=2)
    race.hold_back(api.store, "save")
    race.hold_back(worker.store, "save")
    confirm = scheduled(order_id)

    confirmed, cancel = race.run(
        lambda: order.deliver(worker, confirm),
        lambda: api.handle(
            http_api_event("POST", f"/orders/{order_id}/cancel", customer=CUSTOMER), LambdaContextStub()
        ),
    )

    assert race.raised == ["OrderChanged"]
    order.until_done(worker, confirm)
    orders = order.table("ORDERS_TABLE")
    status = item(cloud, orders, {"pk": f"ORDER#{order_id}", "sk": "ORDER"})["status"]
    outbox = sorted(
        json.loads(i["event"]["S"])["type"]
        for i in cloud.items(orders)
        if i.get("kind", {}).get("S") == "outbox" and json.loads(i["event"]["S"])["type"] != "order.placed"
    )
    if confirmed:  # the booking won; the customer is told it is too late
        assert (status, cancel["statusCode"], outbox) == ("CONFIRMED", 409, ["order.confirmed"])
    else:  # the cancellation won; the late booking confirms nothing
        assert (status, cancel["statusCode"], outbox) == ("CANCELLED", 202, ["order.cancelled"])


# --- shipping: a cancellation races the booking ------------------------------------------------------


def test_a_cancellation_racing_the_booking_leaves_no_shipment_booked(cloud, monkeypatch):
    shipping = Instances(cloud, monkeypatch, "shipping", count=2)
    booker, canceller = shipping.modules
    order_id = str(uuid.uuid4())
    assert shipping.deliver(booker, placed_v3(order_id))
    book, cancel = captured(order_id), cancelled(order_id)
    race = Race(writers=2)
    race.hold_back(booker.store, "book")
    race.hold_back(canceller.store, "cancel_before_booking")

    done = race.run(lambda: shipping.deliver(booker, book), lambda: shipping.deliver(canceller, cancel))

    assert sorted(done) == [False, True]
    assert race.raised == ["ShipmentChanged"]
    shipping.until_done(booker, book)
    shipping.until_done(canceller, cancel)
    assert item(cloud, shipping.table("SHIPMENTS_TABLE"), {"orderId": order_id})["status"] == "CANCELLED"
    if done == [True, False]:  # booked first: called off and announced
        assert published_types(cloud) == ["shipping.cancelled", "shipping.scheduled"]
    else:  # cancelled first: nothing was ever booked
        assert published_types(cloud) == []


# --- loyalty: a refund races the award --------------------------------------------------------------


def test_a_refund_racing_the_award_leaves_no_points(cloud, monkeypatch):
    loyalty = Instances(cloud, monkeypatch, "loyalty", count=2)
    awarder, revoker = loyalty.modules
    order_id = str(uuid.uuid4())
    award, revoke = captured(order_id), refunded(order_id)
    race = Race(writers=2)
    race.hold_back(awarder.ledger, "add_award")
    race.hold_back(revoker.ledger, "add_revocation")

    done = race.run(lambda: loyalty.deliver(awarder, award), lambda: loyalty.deliver(revoker, revoke))

    assert sorted(done) == [False, True]
    assert race.raised == ["LedgerChanged"]
    loyalty.until_done(awarder, award)
    loyalty.until_done(revoker, revoke)
    entries = sorted(
        (i["entry"]["S"].rsplit("#", 1)[1], i["points"]["N"]) for i in cloud.items(loyalty.table("LEDGER_TABLE"))
    )
    if done == [True, False]:  # awarded first: taken back in full
        assert entries == [("AWARD", "25"), ("REVOKE", "-25")]
        assert published_types(cloud) == ["loyalty.points-awarded", "loyalty.points-revoked"]
    else:  # the refund's tombstone first: nothing is ever awarded
        assert entries == [("REVOKE", "0")]
        assert published_types(cloud) == []
