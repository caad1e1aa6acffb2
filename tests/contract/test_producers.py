"""Producer verification: what the REAL handlers publish honours the contracts.

A mini saga runs every handler, configured as the Pulumi program deploys it, on one moto
cloud, and drives orders down the success path and every compensation path until each
catalog event type has been published by its producer. Every event is checked as it was
handed to the publisher (so, as it went into PutEvents): valid against its schema, from the
catalog producer's source, in the order's saga, caused by what the producer was handling,
and carrying no data field its schema does not declare (strict producers, tolerant consumers).
"""

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from saga_events import InvalidEvent
from saga_events.validation import validate_event

from contracts import load_catalog, load_event_schemas
from tests.harness.cloud import mocked_cloud
from tests.harness.saga import MiniSaga, Publication, SagaStuck

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics:UserWarning")

CATALOG = load_catalog()
SCHEMAS = load_event_schemas()
CONTRACTS = [(event.type, event.version) for event in CATALOG.events]


def an_order(*lines: tuple[str, int], token: str = "tok_visa", country: str = "DE") -> dict[str, Any]:
    return {
        "currency": "EUR",
        "lines": [{"sku": sku, "quantity": quantity, "unitPrice": 1250} for sku, quantity in lines],
        "paymentMethodToken": token,
        "shippingAddress": {
            "recipient": "Ada Lovelace",
            "line1": "1 Main St",
            "city": "Berlin" if country == "DE" else "Tokyo",
            "postalCode": "10115",
            "country": country,
        },
    }


class Scenarios:
    """Orders driven to each end of the saga; the status each must reach tells the drive worked."""

    def __init__(self, saga: MiniSaga) -> None:
        self.saga = saga
        self.expected: dict[str, tuple[str, str | None]] = {}

    def stock(self, **available: int) -> None:
        table = self.saga.declared.worker("inventory").environment["STOCK_TABLE"]
        for sku, quantity in available.items():
            self.saga.cloud.dynamodb.put_item(
                TableName=table, Item={"sku": {"S": sku}, "available": {"N": str(quantity)}}
            )

    def drive(self, name: str, order: dict[str, Any], status: str, reason: str | None = None) -> str:
        order_id = self.saga.place_order(order)
        self.saga.run()
        self.expected[name] = (order_id, status, reason)
        return order_id

    def all(self) -> None:
        self.stock(MUG=100, LAMP=1)
        # order.placed, inventory.reserved, payment.captured, shipping.scheduled,
        # loyalty.points-awarded, order.confirmed
        self.drive("confirmed", an_order(("MUG", 2)), "CONFIRMED")
        # inventory.reservation-rejected → order.cancelled
        self.drive("out of stock", an_order(("MUG", 1), ("LAMP", 5)), "CANCELLED", "OUT_OF_STOCK")
        # payment.declined → order.cancelled → inventory.released
        self.drive("declined", an_order(("MUG", 1), token="tok_declined"), "CANCELLED", "PAYMENT_DECLINED")
        # shipping.failed → order.cancelled → inventory.released, payment.refunded, loyalty.points-revoked
        self.drive("not served", an_order(("MUG", 3), country="JP"), "CANCELLED", "SHIPPING_UNAVAILABLE")
        # A customer cancels a PAID order whose booking has not reached the order yet:
        # → shipping.cancelled too; the late shipping.scheduled then confirms nothing.
        order_id = self.saga.place_order(an_order(("MUG", 4)))
        self.saga.run(hold=lambda event: event["type"] == "shipping.scheduled")
        assert self.saga.order(order_id)["status"] == "PAID"
        self.saga.cancel_order(order_id)
        self.saga.run()
        [scheduled] = self.saga.held
        self.saga.release(scheduled)
        self.expected["cancelled by the customer"] = (order_id, "CANCELLED", "CUSTOMER_REQUEST")
        # Charges stuck past every retry, then the deadline: order.deadline-passed → payment asks the
        # gateway → payment.declined (voided) → order.cancelled (TIMEOUT); or payment.captured → CONFIRMED.
        self.drive_past_the_deadline("timed out", "tok_unreachable", "CANCELLED", "TIMEOUT")
        self.drive_past_the_deadline("captured at the deadline", "tok_unanswered", "CONFIRMED")

    def drive_past_the_deadline(self, name: str, token: str, status: str, reason: str | None = None) -> None:
        with pytest.MonkeyPatch.context() as due_at_once:
            due_at_once.setattr(self.saga.api, "TIME_ALLOWED", timedelta(0))
            order_id = self.saga.place_order(an_order(("MUG", 1), token=token))
        with pytest.raises(SagaStuck, match=r"payment keeps failing inventory\.reserved"):
            self.saga.run()
        self.saga.run()
        assert self.saga.order(order_id)["status"] == "STOCK_RESERVED"
        assert self.saga.sweep(f"sweep-{order_id}")["resolved"] == {"ASK_PAYMENT": 1}
        self.saga.run()
        self.expected[name] = (order_id, status, reason)


@pytest.fixture(scope="module")
def saga() -> Iterator[tuple[MiniSaga, Scenarios]]:
    with pytest.MonkeyPatch.context() as monkeypatch, mocked_cloud(monkeypatch) as cloud:
        saga = MiniSaga(cloud, monkeypatch)
        scenarios = Scenarios(saga)
        scenarios.all()
        yield saga, scenarios


def undeclared_fields(instance: Any, schema: dict[str, Any], path: str = "data") -> list[str]:
    """Fields of `instance` its schema does not declare, at any depth."""
    found = []
    if isinstance(instance, dict) and "properties" in schema:
        for name, value in instance.items():
            if name in schema["properties"]:
                found += undeclared_fields(value, schema["properties"][name], f"{path}.{name}")
            else:
                found.append(f"{path}.{name}")
    elif isinstance(instance, list) and "items" in schema:
        for index, value in enumerate(instance):
            found += undeclared_fields(value, schema["items"], f"{path}[{index}]")
    return found


def version_of(event: dict[str, Any]) -> int:
    return int(event["dataschema"].rsplit("/v", 1)[1].removesuffix(".json"))


def contract_breaches(publication: Publication, order_ids: set[str]) -> list[str]:
    event = publication.event
    contract = CATALOG.contract(event["type"], version_of(event))
    breaches = []
    try:
        validate_event(event)
    except InvalidEvent as error:
        breaches.append(f"invalid: {error}")
    if not publication.published:
        breaches.append("the publisher refused it")
    if publication.context != contract.producer:
        breaches.append(f"published by {publication.function}, but the catalog's producer is {contract.producer}")
    if event["source"] != CATALOG.source_of(contract.producer):
        breaches.append(f"source {event['source']!r} is not {CATALOG.source_of(contract.producer)!r}")
    order_id = event["data"].get("orderId")
    if order_id not in order_ids or event["correlationid"] != order_id:
        breaches.append(f"correlationid {event['correlationid']!r} is not the order id {order_id!r}")
    if event["causationid"] != publication.cause_id:
        breaches.append(f"causationid {event['causationid']!r} is not its cause {publication.cause_id!r}")
    if extra := undeclared_fields(event["data"], SCHEMAS[contract.dataschema]):
        breaches.append(f"fields the schema does not declare: {extra}")
    return breaches


def test_each_scenario_reaches_the_end_it_was_driven_to(saga):
    saga, scenarios = saga
    reached = {}
    for name, (order_id, _, _) in scenarios.expected.items():
        order = saga.order(order_id)
        reached[name] = (order_id, order["status"], order["cancellationReason"])
    assert reached == scenarios.expected


@pytest.mark.parametrize(("event_type", "version"), CONTRACTS, ids=[f"{t}.v{v}" for t, v in CONTRACTS])
def test_the_real_producer_publishes_the_event_as_its_contract_says(saga, event_type, version):
    saga, scenarios = saga
    order_ids = {order_id for order_id, _, _ in scenarios.expected.values()}
    publications = [
        p
        for p in saga.publications
        if (p.event.get("type"), p.event.get("dataschema"))
        == (event_type, CATALOG.contract(event_type, version).dataschema)
    ]

    assert publications, f"no scenario made {CATALOG.contract(event_type, version).producer} publish {event_type}"
    breaches = {p.event["id"]: contract_breaches(p, order_ids) for p in publications}
    assert {event_id: found for event_id, found in breaches.items() if found} == {}


def test_nothing_is_published_that_the_catalog_does_not_know(saga):
    saga, _ = saga
    known = {event.dataschema for event in CATALOG.events}
    assert [p.event for p in saga.publications if p.event.get("dataschema") not in known] == []


def test_every_publication_reached_the_global_bus(saga):
    saga, _ = saga
    on_the_bus = sorted(event["id"] for event in saga.cloud.published())
    assert on_the_bus == sorted(p.event["id"] for p in saga.publications if p.published)


def test_an_order_listing_a_sku_on_many_lines_is_reserved_within_the_contract(saga):
    """The API takes 25 lines of up to 100 items, one SKU on several lines too; inventory holds
    stock per SKU and must be able to announce the sum (once found above inventory.reserved's bound)."""
    mini_saga, scenarios = saga
    scenarios.stock(**{"MANY-MUGS": 5000})
    order_id = mini_saga.place_order(an_order(*[("MANY-MUGS", 100)] * 25))
    mini_saga.run()

    assert mini_saga.order(order_id)["status"] == "CONFIRMED"
