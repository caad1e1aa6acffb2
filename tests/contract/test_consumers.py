"""Consumer verification: every consumer takes every valid event its schemas allow, through its real
entry point, and does what the event means to it; and it rejects an invalid event cleanly.

Valid events are generated from the schemas (hypothesis-jsonschema) and wrapped in a valid envelope.
Each goes as an SQS record through the context's Lambda handler, configured as the Pulumi program
deploys it, against moto: receiver validation, idempotency, dispatch and the batch response, as on
AWS. Before it, the test leaves the consumer in one of the states the saga can leave it in, by
delivering the events that lead there through the same handler, and always with what the event
needs (the order it names, the intent to charge, the destination to ship to), so the event under
test is never answered "retry later". After it, the test checks the consumer's own state and what it
published or sent, for every (type, version, consumer) pair in the catalog.
"""

import copy
import json
import logging
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import cache
from types import ModuleType
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from saga_events import IntegrationEvent, new_event
from saga_events.sealing import SEALED_FIELD_KEYS, FieldOpener, FieldSealer
from saga_events.validation import validate_event

from contracts import load_catalog
from contracts.sealed import sealed_field
from saga_client.operations import every_item
from tests.harness.cloud import Cloud, mocked_cloud
from tests.harness.declared_stack import DeclaredTable, declared_stack
from tests.harness.generation import event_data
from tests.harness.lambda_events import (
    LambdaContextStub,
    eventbridge_envelope,
    http_api_event,
    record_for,
    sqs_event,
    sqs_record,
)

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics:UserWarning")

CATALOG = load_catalog()
PAIRS = [(event.type, event.version, consumer) for event in CATALOG.events for consumer in event.consumers]
CONSUMERS = sorted({consumer for _, _, consumer in PAIRS})

# Generated examples per (event type, consumer) pair: the whole file runs in about a minute on 2 cores.
EXAMPLES = 4
# Tokens and countries the simulation gives meaning to, mixed in with generated ones.
TOKENS = ["tok_visa", "tok_declined", "tok_flaky"]
COUNTRIES = ["DE", "US", "JP"]
# A few SKUs mixed in with generated ones, so orders repeat SKUs and meet stocked ones.
SKUS = ["MUG", "LAMP"]

Draw = Callable[..., Any]


@dataclass
class Consumer:
    context: str
    cloud: Cloud
    module: ModuleType
    tables: tuple[DeclaredTable, ...]
    api: ModuleType | None  # the order context's API, to place the orders its worker acts on

    def deliver(self, event: dict[str, Any]) -> list[str]:
        """The event as one SQS record through the Lambda handler; the message ids SQS must retry."""
        return self.deliver_records(record_for(event))

    def deliver_records(self, *records: dict[str, Any]) -> list[str]:
        response = self.handle(*records)
        return [failure["itemIdentifier"] for failure in response["batchItemFailures"]]

    def deliver_to_retry_later(self, record: dict[str, Any]) -> None:
        """Deliver a record the consumer must send back for now, with a wait it declares
        (`consume.retry_later`), logged as one and not as an error."""
        records: list[logging.LogRecord] = []
        listener = logging.Handler()
        listener.emit = records.append  # type: ignore[method-assign]
        logging.getLogger().addHandler(listener)
        try:
            assert self.deliver_records(record) == [record["messageId"]]
        finally:
            logging.getLogger().removeHandler(listener)
        said = [(r.levelname, r.getMessage()) for r in records if getattr(r, "message_id", None) == record["messageId"]]
        assert said == [("INFO", "retry later")], said

    def take(self, event: dict[str, Any]) -> None:
        """Deliver an event the consumer must handle at once: no failure, no "retry later"."""
        assert self.deliver(event) == [], f"{self.context} did not take {event['type']} {event['data']}"

    def handle(self, *records: dict[str, Any]) -> dict[str, Any]:
        return self.module.handle(sqs_event(*records), LambdaContextStub(function_name=f"{self.context}-worker"))

    def reset(self) -> None:
        self.cloud.empty(self.tables)
        self.published()
        self.cloud.notified()

    def published(self) -> list[dict[str, Any]]:
        """What the consumer put on the bus since the last look."""
        return self.cloud.published()

    def item(self, variable: str, **key: str) -> dict[str, Any] | None:
        """One item of the table the worker's environment names, as plain values."""
        found = self.cloud.dynamodb.get_item(
            TableName=self.table(variable), Key={k: {"S": v} for k, v in key.items()}, ConsistentRead=True
        ).get("Item")
        return None if found is None else {name: next(iter(value.values())) for name, value in found.items()}

    def items(self, variable: str) -> list[dict[str, Any]]:
        return [
            {name: next(iter(value.values())) for name, value in found.items()}
            for found in self.cloud.items(self.table(variable))
        ]

    def snapshot(self) -> dict[str, Any]:
        return {
            "tables": self.cloud.snapshot(table.name for table in self.tables),
            "bus": self.cloud.published(),
            "topics": self.cloud.notified(),
        }

    def table(self, variable: str) -> str:
        return declared_stack().worker(self.context).environment[variable]


@contextmanager
def deployed(context: str) -> Iterator[Consumer]:
    """One context's worker against moto, as the Pulumi program declares it."""
    stack = declared_stack()
    worker = stack.worker(context)
    with pytest.MonkeyPatch.context() as monkeypatch, mocked_cloud(monkeypatch) as cloud:
        module = cloud.deploy(worker, stack, monkeypatch)
        # Every reader's key, so a generated order.placed can be encrypted whole, as the order API does.
        for alias in field_keys().values():
            cloud.create_field_key(alias)
        api = cloud.deploy(stack.function("order.api.handle"), stack, monkeypatch) if context == "order" else None
        yield Consumer(context, cloud, module, stack.tables_of(worker), api)


class Deployments:
    """The context deployed last, kept for the tests that follow it; another context replaces it.

    A module-scoped parametrised fixture would not do: a parametrisation that names plain values
    besides the fixture is function-scoped, and that scope overrides the fixture's, so pytest would
    deploy the context again for every test (and `scope="module"` makes it reorder the tests and
    interleave the contexts)."""

    def __init__(self) -> None:
        self._current: Consumer | None = None
        self._teardown = ExitStack()

    def of(self, context: str) -> Consumer:
        if self._current is None or self._current.context != context:
            self.close()
            self._current = self._teardown.enter_context(deployed(context))
        return self._current

    def close(self) -> None:
        self._current = None
        self._teardown.close()


@pytest.fixture(scope="module")
def deployments() -> Iterator[Deployments]:
    kept = Deployments()
    yield kept
    kept.close()


@pytest.fixture
def consumer(request, deployments: Deployments) -> Consumer:
    """One context's worker, deployed once for all its tests; each example starts from `reset()`."""
    return deployments.of(request.param)


# --- generating valid events --------------------------------------------------------------------


@st.composite
def an_event(
    draw: st.DrawFn,
    event_type: str,
    version: int,
    order_id: str | None = None,
    customer_id: str | None = None,
    token: str | None = None,
    country: str | None = None,
) -> dict:
    data = draw(event_data(event_type, version))
    if order_id is not None:
        data["orderId"] = order_id
    if customer_id is not None and "customerId" in data:
        data["customerId"] = customer_id
    if event_type == "order.placed":
        for line in data["lines"]:
            line["sku"] = draw(st.sampled_from([*SKUS, line["sku"]]))
    if (event_type, version) == ("order.placed", 3):
        # The generated ciphertexts mean nothing: encrypt drawn plaintexts, as the order API does.
        token = token or draw(st.sampled_from([*TOKENS, draw(plaintext("encryptedPaymentMethodToken"))]))
        address = draw(plaintext("encryptedShippingAddress"))
        address["country"] = country or draw(st.sampled_from([*COUNTRIES, address["country"]]))
        data["shippingCountry"] = address["country"]
        sealer = FieldSealer(boto3.client("kms"), field_keys())
        for field, value in (("encryptedPaymentMethodToken", token), ("encryptedShippingAddress", address)):
            data[field] = sealer.seal(event_type, version, field, data["orderId"], value)
    contract = CATALOG.contract(event_type, version)
    event = new_event(
        event_type,
        data,
        source=CATALOG.source_of(contract.producer),
        correlation_id=data["orderId"],
        causation_id=str(draw(st.uuids())),
        event_id=str(draw(st.uuids())),
        version=version,
    )
    validate_event(event)  # the generator must honour the real schema, formats included
    return event


def about(draw: Draw, event: dict[str, Any], event_type: str, version: int = 1, **changes: Any) -> dict[str, Any]:
    """Another generated event about the same order (and customer), with some data fixed."""
    other = draw(an_event(event_type, version, event["data"]["orderId"], event["data"].get("customerId")))
    for path, value in changes.items():
        *parents, name = path.split("__")
        node = other["data"]
        for parent in parents:
            node = node[parent]
        node[name] = value
    validate_event(other)
    return other


def placed_about(draw: Draw, event: dict[str, Any], token: str | None = None, country: str | None = None) -> dict:
    """order.placed v3 about the same order, its token and destination encrypted as the order API does."""
    return draw(an_event("order.placed", 3, event["data"]["orderId"], event["data"].get("customerId"), token, country))


def field_keys() -> dict[str, str]:
    """The alias of each reader's field key, as the order API is given them."""
    return json.loads(declared_stack().function("order.api.handle").environment[SEALED_FIELD_KEYS])


@cache
def plaintext(field: str) -> st.SearchStrategy[Any]:
    """Values as the order API seals them: it refuses any property its models do not name
    (extra="forbid"), so a sealed object holds the schema's own properties only, and fits the
    4 KB one KMS Encrypt takes (extra generated keys would not)."""
    schema = sealed_field("order.placed", 3, field).plaintext_schema
    if schema.get("type") == "object":
        schema = {**schema, "additionalProperties": False}
    return from_schema(schema)


def opened(event: dict[str, Any], field: str) -> Any:
    """What an encrypted field of a generated event holds (the test may use every key)."""
    reader = sealed_field(event["type"], int(event["dataschema"].rsplit("/v", 1)[1].removesuffix(".json")), field)
    opener = FieldOpener(boto3.client("kms"), field_keys()[reader.reader])
    return opener.open(IntegrationEvent.from_cloudevent(event), field)


def money(value: dict[str, Any]) -> tuple[int, str]:
    """Amount and currency only: generated data carries extra fields a tolerant consumer ignores."""
    return value["amount"], value["currency"]


# --- payment -----------------------------------------------------------------------------------------


def payment_notes_the_intent(consumer: Consumer, draw: Draw, start: str) -> None:
    placed = draw(an_event("order.placed", 3), label="order.placed")
    data = placed["data"]
    if start == "cancelled first":
        consumer.take(about(draw, placed, "order.cancelled"))

    consumer.take(placed)

    record = consumer.item("PAYMENTS_TABLE", orderId=data["orderId"])
    if start == "cancelled first":
        assert (record["status"], "paymentMethodToken" in record) == ("CANCELLED", False)
    else:
        assert (record["status"], record["customerId"], record["paymentMethodToken"]) == (
            "INTENT",
            data["customerId"],
            opened(placed, "encryptedPaymentMethodToken"),
        )
        assert (record["totalAmount"], record["currency"]) == (str(data["total"]["amount"]), data["total"]["currency"])
    assert consumer.published() == []


def payment_charges_a_reserved_order(consumer: Consumer, draw: Draw, start: str) -> None:
    reserved = draw(an_event("inventory.reserved", 1), label="inventory.reserved")
    token = {"declined": "tok_declined", "flaky gateway": "tok_flaky"}.get(start)
    if start == "charged":
        token = draw(st.sampled_from([*TOKENS, draw(plaintext("encryptedPaymentMethodToken"))]), label="token")
        if token in {"tok_declined", "tok_flaky"}:
            token = "tok_visa"
    placed = placed_about(draw, reserved, token=token)
    total = placed["data"]["total"]
    consumer.take(placed)
    if start == "cancelled before the reservation":
        consumer.take(about(draw, placed, "order.cancelled"))
    order_id = reserved["data"]["orderId"]

    if start == "flaky gateway":
        # The gateway's documented transient failure: this delivery is retried, the next one charges.
        record = record_for(reserved)
        consumer.deliver_to_retry_later(record)
        assert consumer.item("PAYMENTS_TABLE", orderId=order_id)["status"] == "CHARGING"
        assert consumer.published() == []
        assert consumer.deliver_records(record) == []
    else:
        consumer.take(reserved)

    payment = consumer.item("PAYMENTS_TABLE", orderId=order_id)
    charges = [c for c in consumer.items("GATEWAY_TABLE") if c["chargeKey"].startswith("charge#")]
    published = consumer.published()
    if start == "cancelled before the reservation":
        assert (payment["status"], charges, published) == ("CANCELLED", [], [])
    elif start == "declined":
        assert (payment["status"], payment["declineReason"], charges) == ("DECLINED", "CARD_DECLINED", [])
        [declined] = published
        assert (declined["type"], declined["data"]["reason"]) == ("payment.declined", "CARD_DECLINED")
    else:
        [charge] = charges
        assert payment["status"] == "CAPTURED"
        assert (charge["amount"], charge["currency"]) == (str(total["amount"]), total["currency"])
        [announced] = published
        assert announced["type"] == "payment.captured"
        assert money(announced["data"]["amount"]) == money(total)
        assert announced["data"]["paymentId"] == payment["chargeId"] == charge["chargeKey"].removeprefix("charge#")
    assert all(event["causationid"] == reserved["id"] for event in published)


def payment_refunds_a_cancelled_order(consumer: Consumer, draw: Draw, start: str) -> None:
    cancelled = draw(an_event("order.cancelled", 1), label="order.cancelled")
    order_id = cancelled["data"]["orderId"]
    token = "tok_declined" if start == "declined" else "tok_visa"
    placed = placed_about(draw, cancelled, token=token)
    if start != "nothing known":
        consumer.take(placed)
    if start in {"captured", "declined"}:
        consumer.take(about(draw, cancelled, "inventory.reserved"))
    charged = consumer.item("PAYMENTS_TABLE", orderId=order_id) or {}
    consumer.published()

    consumer.take(cancelled)

    payment = consumer.item("PAYMENTS_TABLE", orderId=order_id)
    published = consumer.published()
    if start in {"nothing known", "intent"}:
        assert (payment["status"], "paymentMethodToken" in payment, published) == ("CANCELLED", False, [])
        assert payment["customerId"] == cancelled["data"]["customerId"]
    elif start == "declined":
        assert (payment["status"], published) == ("DECLINED", [])
    else:
        [charge] = [c for c in consumer.items("GATEWAY_TABLE") if c["chargeKey"].startswith("charge#")]
        assert (payment["status"], charge["state"]) == ("REFUNDED", "REFUNDED")
        [refunded] = published
        assert refunded["type"] == "payment.refunded"
        assert refunded["data"]["paymentId"] == charged["chargeId"]
        assert money(refunded["data"]["amount"]) == money(placed["data"]["total"])
        assert refunded["causationid"] == cancelled["id"]


def payment_settles_at_the_deadline(consumer: Consumer, draw: Draw, start: str) -> None:
    passed = draw(an_event("order.deadline-passed", 1), label="order.deadline-passed")
    order_id, customer_id = passed["data"]["orderId"], passed["data"]["customerId"]
    token = {
        "a charge that never completed": "tok_unreachable",
        "a capture whose answer was lost": "tok_unanswered",
        "declined": "tok_declined",
    }.get(start, "tok_visa")
    placed = placed_about(draw, passed, token=token)
    if start != "nothing known":
        consumer.take(placed)
    if start == "cancelled":
        consumer.take(about(draw, passed, "order.cancelled"))
    reserved = about(draw, passed, "inventory.reserved")
    if start in {"a charge that never completed", "a capture whose answer was lost"}:
        # The gateway fails every attempt: the charge stays in doubt (its retries would run out).
        consumer.deliver_to_retry_later(record_for(reserved))
        assert consumer.item("PAYMENTS_TABLE", orderId=order_id)["status"] == "CHARGING"
    elif start in {"captured", "declined"}:
        consumer.take(reserved)
    before = [c for c in consumer.items("GATEWAY_TABLE") if c["chargeKey"].startswith("charge#")]
    consumer.published()

    consumer.take(passed)

    payment = consumer.item("PAYMENTS_TABLE", orderId=order_id)
    charges = [c for c in consumer.items("GATEWAY_TABLE") if c["chargeKey"].startswith("charge#")]
    published = consumer.published()
    assert all(event["causationid"] == passed["id"] for event in published)
    if start == "cancelled":
        assert (payment["status"], published) == ("CANCELLED", [])
        return
    [outcome] = published
    if start in {"nothing known", "intent"}:
        assert (payment["status"], "paymentMethodToken" in payment, charges) == ("CANCELLED", False, [])
        if start == "nothing known":
            assert payment["customerId"] == customer_id
    elif start == "a charge that never completed":
        assert (payment["status"], payment["declineReason"], charges) == ("DECLINED", "DEADLINE_PASSED", [])
        assert consumer.item("GATEWAY_TABLE", chargeKey=f"key#order-{order_id}")["state"] == "VOIDED"
    elif start == "declined":
        assert (payment["status"], outcome["data"]["reason"]) == ("DECLINED", "CARD_DECLINED")
    else:
        [charge] = charges
        assert charges == before or start == "a capture whose answer was lost"
        assert payment["status"] == "CAPTURED"
        assert (outcome["type"], outcome["data"]["paymentId"]) == (
            "payment.captured",
            charge["chargeKey"].removeprefix("charge#"),
        )
        assert money(outcome["data"]["amount"]) == money(placed["data"]["total"])
        return
    if start != "declined":
        assert (outcome["type"], outcome["data"]["reason"]) == ("payment.declined", "DEADLINE_PASSED")


# --- shipping ----------------------------------------------------------------------------------------


def served(consumer: Consumer) -> set[str]:
    return set(declared_stack().worker(consumer.context).environment["SERVED_COUNTRIES"].split(","))


def shipping_notes_the_destination(consumer: Consumer, draw: Draw, start: str) -> None:
    placed = draw(an_event("order.placed", 3), label="order.placed")
    if start == "cancelled first":
        consumer.take(about(draw, placed, "order.cancelled"))

    consumer.take(placed)

    shipment = consumer.item("SHIPMENTS_TABLE", orderId=placed["data"]["orderId"])
    if start == "cancelled first":
        assert (shipment["status"], "country" in shipment) == ("CANCELLED", False)
    else:
        assert (shipment["status"], shipment["country"]) == (
            "AWAITING_PAYMENT",
            opened(placed, "encryptedShippingAddress")["country"],
        )
    assert consumer.published() == []


def shipping_books_a_paid_order(consumer: Consumer, draw: Draw, start: str) -> None:
    captured = draw(an_event("payment.captured", 1), label="payment.captured")
    country = draw(st.sampled_from(COUNTRIES), label="country")
    if start == "to a served country":
        country = draw(st.sampled_from(sorted(served(consumer))), label="served country")
    elif country in served(consumer):
        country = "JP"
    consumer.take(placed_about(draw, captured, country=country))
    if start == "cancelled before payment":
        consumer.take(about(draw, captured, "order.cancelled"))

    consumer.take(captured)

    shipment = consumer.item("SHIPMENTS_TABLE", orderId=captured["data"]["orderId"])
    published = consumer.published()
    if start == "cancelled before payment":
        assert (shipment["status"], published) == ("CANCELLED", [])
    elif start == "to a served country":
        [booked] = published
        assert shipment["status"] == "SCHEDULED"
        assert (booked["type"], booked["data"]["shipmentId"], booked["data"]["country"]) == (
            "shipping.scheduled",
            shipment["shipmentId"],
            country,
        )
    else:
        [failed] = published
        assert shipment["status"] == "FAILED"
        assert (failed["type"], failed["data"]["reason"], failed["data"]["country"]) == (
            "shipping.failed",
            "COUNTRY_NOT_SERVED",
            country,
        )


def shipping_calls_off_a_cancelled_order(consumer: Consumer, draw: Draw, start: str) -> None:
    cancelled = draw(an_event("order.cancelled", 1), label="order.cancelled")
    order_id = cancelled["data"]["orderId"]
    if start != "nothing known":
        consumer.take(placed_about(draw, cancelled, country="JP" if start == "failed" else "DE"))
    if start in {"scheduled", "failed"}:
        consumer.take(about(draw, cancelled, "payment.captured"))
    booked = consumer.item("SHIPMENTS_TABLE", orderId=order_id) or {}
    consumer.published()

    consumer.take(cancelled)

    shipment = consumer.item("SHIPMENTS_TABLE", orderId=order_id)
    published = consumer.published()
    if start == "failed":
        assert (shipment["status"], published) == ("FAILED", [])
    elif start == "scheduled":
        [called_off] = published
        assert (shipment["status"], shipment["shipmentId"]) == ("CANCELLED", booked["shipmentId"])
        assert (called_off["type"], called_off["data"]["shipmentId"]) == ("shipping.cancelled", booked["shipmentId"])
    else:
        assert (shipment["status"], "shipmentId" in shipment, published) == ("CANCELLED", False, [])


# --- loyalty -----------------------------------------------------------------------------------------


def ledger(consumer: Consumer, event: dict[str, Any]) -> list[tuple[str, int]]:
    """The customer's entries for the order, as (kind, points)."""
    return sorted(
        (entry["kind"], int(entry["points"]))
        for entry in consumer.items("LEDGER_TABLE")
        if entry["customerId"] == event["data"]["customerId"] and entry["orderId"] == event["data"]["orderId"]
    )


def loyalty_awards_points(consumer: Consumer, draw: Draw, start: str) -> None:
    captured = draw(an_event("payment.captured", 1), label="payment.captured")
    points = captured["data"]["amount"]["amount"] // 100  # one point per whole currency unit
    if start == "refunded first":
        consumer.take(about(draw, captured, "payment.refunded"))
        consumer.published()

    consumer.take(captured)

    published = consumer.published()
    if start == "refunded first":
        assert (ledger(consumer, captured), published) == ([("REVOKE", 0)], [])
    else:
        assert ledger(consumer, captured) == [("AWARD", points)]
        [awarded] = published
        assert (awarded["type"], awarded["data"]["points"], awarded["data"]["customerId"]) == (
            "loyalty.points-awarded",
            points,
            captured["data"]["customerId"],
        )


def loyalty_revokes_points(consumer: Consumer, draw: Draw, start: str) -> None:
    refunded = draw(an_event("payment.refunded", 1), label="payment.refunded")
    points = 0
    if start == "awarded":
        captured = about(draw, refunded, "payment.captured")
        points = captured["data"]["amount"]["amount"] // 100
        consumer.take(captured)
        consumer.published()

    consumer.take(refunded)

    published = consumer.published()
    if start == "awarded":
        assert ledger(consumer, refunded) == [("AWARD", points), ("REVOKE", -points)]
    else:
        assert ledger(consumer, refunded) == [("REVOKE", 0)]
    if points:
        [revoked] = published
        assert (revoked["type"], revoked["data"]["points"]) == ("loyalty.points-revoked", points)
    else:
        assert published == []


# --- inventory ---------------------------------------------------------------------------------------


def stock(consumer: Consumer) -> dict[str, int]:
    return {item["sku"]: int(item["available"]) for item in consumer.items("STOCK_TABLE")}


def inventory_reserves_stock(consumer: Consumer, draw: Draw, start: str) -> None:
    placed = draw(an_event("order.placed", 3), label="order.placed")
    wanted = Counter()
    for line in placed["data"]["lines"]:
        wanted[line["sku"]] += line["quantity"]
    odd_one = draw(st.sampled_from(sorted(wanted)), label="the SKU unknown or short")
    for sku in sorted(wanted):
        if start == "a SKU unknown":
            on_hand = None if sku == odd_one else draw(st.one_of(st.none(), st.integers(0, 2500)), label=sku)
        elif start == "a SKU short" and sku == odd_one:
            on_hand = draw(st.integers(0, wanted[sku] - 1), label=sku)
        elif start == "a SKU short":
            on_hand = draw(st.integers(0, 2500), label=sku)
        else:
            on_hand = wanted[sku] + draw(st.integers(0, 2500), label=sku)
        if on_hand is not None:
            consumer.cloud.dynamodb.put_item(
                TableName=consumer.table("STOCK_TABLE"), Item={"sku": {"S": sku}, "available": {"N": str(on_hand)}}
            )
    if start == "cancelled first":
        consumer.take(about(draw, placed, "order.cancelled"))
    before = stock(consumer)

    consumer.take(placed)

    reservation = consumer.item("RESERVATIONS_TABLE", orderId=placed["data"]["orderId"])
    published = consumer.published()
    unknown = sorted(sku for sku in wanted if sku not in before)
    short = sorted(sku for sku in wanted if sku in before and before[sku] < wanted[sku])
    if start == "cancelled first":
        assert (reservation["status"], stock(consumer), published) == ("CANCELLED", before, [])
        return
    assert bool(unknown or short) == (start != "all in stock")
    if unknown or short:
        reason, skus = ("UNKNOWN_SKU", unknown) if unknown else ("OUT_OF_STOCK", short)
        assert (reservation["status"], reservation["rejectionReason"]) == ("REJECTED", reason)
        assert stock(consumer) == before
        [rejected] = published
        assert (rejected["type"], rejected["data"]["reason"], sorted(rejected["data"]["skus"])) == (
            "inventory.reservation-rejected",
            reason,
            skus,
        )
        return
    assert reservation["status"] == "RESERVED"
    assert stock(consumer) == {sku: before[sku] - wanted.get(sku, 0) for sku in before}
    [announced] = published
    assert announced["type"] == "inventory.reserved"
    assert sorted((line["sku"], line["quantity"]) for line in announced["data"]["lines"]) == sorted(wanted.items())


def inventory_releases_stock(consumer: Consumer, draw: Draw, start: str) -> None:
    cancelled = draw(an_event("order.cancelled", 1), label="order.cancelled")
    order_id = cancelled["data"]["orderId"]
    placed = placed_about(draw, cancelled)
    wanted = Counter()
    for line in placed["data"]["lines"]:
        wanted[line["sku"]] += line["quantity"]
    if start == "reserved":
        for sku, quantity in wanted.items():
            consumer.cloud.dynamodb.put_item(
                TableName=consumer.table("STOCK_TABLE"),
                Item={"sku": {"S": sku}, "available": {"N": str(quantity + 7)}},
            )
    if start != "nothing known":  # with no stock recorded, every SKU is unknown: rejected
        consumer.take(placed)
        assert consumer.item("RESERVATIONS_TABLE", orderId=order_id)["status"] == start.upper()
    consumer.published()

    consumer.take(cancelled)

    reservation = consumer.item("RESERVATIONS_TABLE", orderId=order_id)
    published = consumer.published()
    if start == "reserved":
        assert reservation["status"] == "RELEASED"
        assert stock(consumer) == {sku: quantity + 7 for sku, quantity in wanted.items()}
        [released] = published
        assert released["type"] == "inventory.released"
        assert sorted((line["sku"], line["quantity"]) for line in released["data"]["lines"]) == sorted(wanted.items())
    else:
        assert (reservation["status"], published) == ("CANCELLED" if start == "nothing known" else "REJECTED", [])


# --- notification ------------------------------------------------------------------------------------


def notification(consumer: Consumer) -> dict[str, str]:
    [sent] = consumer.cloud.notified()
    return {"subject": sent["Subject"]} | {k: v["Value"] for k, v in sent["MessageAttributes"].items()}


def notification_tells_the_customer(subject: str) -> Callable[[Consumer, Draw, str], None]:
    def tell(consumer: Consumer, draw: Draw, start: str) -> None:
        event_type = "order.confirmed" if "confirmed" in subject else "order.cancelled"
        event = draw(an_event(event_type, 1), label=event_type)

        consumer.take(event)

        assert notification(consumer) == {
            "subject": subject,
            "kind": event_type,
            "orderId": event["data"]["orderId"],
            "customerId": event["data"]["customerId"],
            "eventId": event["id"],
        }

    return tell


# --- order -------------------------------------------------------------------------------------------

PROGRESS = {"inventory.reserved": "STOCK_RESERVED", "payment.captured": "PAID", "shipping.scheduled": "CONFIRMED"}
RANK = {"PENDING": 0, "STOCK_RESERVED": 1, "PAID": 2, "CONFIRMED": 3}
CANCELS = {
    ("inventory.reservation-rejected", "OUT_OF_STOCK"): "OUT_OF_STOCK",
    ("inventory.reservation-rejected", "UNKNOWN_SKU"): "UNKNOWN_SKU",
    ("payment.declined", "CARD_DECLINED"): "PAYMENT_DECLINED",
    ("shipping.failed", "COUNTRY_NOT_SERVED"): "SHIPPING_UNAVAILABLE",
    ("payment.declined", "DEADLINE_PASSED"): "TIMEOUT",
}


def order_state(consumer: Consumer, order_id: str) -> tuple[str, str | None, list[str], list[str]]:
    """Status, cancellation reason, the outbox's event types, and the ids on the timeline."""
    items = every_item(
        consumer.cloud.dynamodb,
        "query",
        TableName=consumer.table("ORDERS_TABLE"),
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"ORDER#{order_id}"}},
        ConsistentRead=True,
    )
    [order] = [i for i in items if i["sk"]["S"] == "ORDER"]
    timeline = [i for i in items if i["sk"]["S"].startswith("TIMELINE#")]
    outbox = [json.loads(i["event"]["S"]) for i in timeline if i["kind"]["S"] == "outbox"]
    return (
        order["status"]["S"],
        order.get("cancellationReason", {}).get("S"),
        sorted(e["type"] for e in outbox),
        [json.loads(i["event"]["S"])["id"] for i in timeline],
    )


def expected_order(before: tuple[str, str | None], event: dict[str, Any]) -> tuple[str, str | None, list[str]]:
    """Status and reason after the event, and the events it adds to the outbox."""
    status, reason = before
    if event["type"] in PROGRESS:
        target = PROGRESS[event["type"]]
        if status == "CANCELLED" or RANK[status] >= RANK[target]:
            return status, reason, []
        return target, None, ["order.confirmed"] if target == "CONFIRMED" else []
    cancels = CANCELS.get((event["type"], event["data"].get("reason")))
    if cancels is None or status in {"CANCELLED", "CONFIRMED"}:
        return status, reason, []
    return "CANCELLED", cancels, ["order.cancelled"]


def place_an_order(consumer: Consumer, customer_id: str) -> str:
    """POST /orders as the customer (the token's subject the authorizer passes on)."""
    assert consumer.api is not None
    request = {
        "currency": "EUR",
        "lines": [{"sku": "MUG", "quantity": 1, "unitPrice": 1250}],
        "paymentMethodToken": "tok_visa",
        "shippingAddress": {
            "recipient": "Ada",
            "line1": "1 Main St",
            "city": "Berlin",
            "postalCode": "1",
            "country": "DE",
        },
    }
    response = consumer.api.handle(
        http_api_event("POST", "/orders", request, customer=customer_id), LambdaContextStub()
    )
    assert response["statusCode"] == 202, response
    return json.loads(response["body"])["orderId"]


def for_order(event: dict[str, Any], order_id: str) -> dict[str, Any]:
    return {**event, "data": {**event["data"], "orderId": order_id}, "correlationid": order_id}


def order_moves_on(event_type: str) -> Callable[[Consumer, Draw, str], None]:
    def move(consumer: Consumer, draw: Draw, start: str) -> None:
        generated = draw(an_event(event_type, 1), label=event_type)
        customer = generated["data"].get("customerId") or "cust-1"
        order_id = place_an_order(consumer, customer)
        event = for_order(generated, order_id)
        if start in {"paid", "confirmed"}:
            consumer.take(for_order(draw(an_event("payment.captured", 1)), order_id))
        if start == "confirmed":
            consumer.take(for_order(draw(an_event("shipping.scheduled", 1)), order_id))
        if start == "cancelled by the customer":
            cancel = consumer.api.handle(
                http_api_event("POST", f"/orders/{order_id}/cancel", customer=customer), LambdaContextStub()
            )
            assert cancel["statusCode"] == 202, cancel
        status, reason, outbox, _ = order_state(consumer, order_id)
        assert status == {"pending": "PENDING", "paid": "PAID", "confirmed": "CONFIRMED"}.get(start, "CANCELLED")

        consumer.take(event)

        now_status, now_reason, now_outbox, timeline = order_state(consumer, order_id)
        expected_status, expected_reason, added = expected_order((status, reason), event)
        assert (now_status, now_reason) == (expected_status, expected_reason)
        assert now_outbox == sorted(outbox + added)
        assert event["id"] in timeline
        assert consumer.published() == []  # the order context publishes through its outbox only

    return move


ORDER_STARTS = ("pending", "paid", "confirmed", "cancelled by the customer")
Case = Callable[[Consumer, Draw, str], None]
# Each pair's case, and the situations the saga can leave its consumer in when the event arrives.
CASES: dict[tuple[str, int, str], tuple[Case, tuple[str, ...]]] = {
    ("order.placed", 3, "payment"): (payment_notes_the_intent, ("nothing known", "cancelled first")),
    ("order.placed", 3, "shipping"): (shipping_notes_the_destination, ("nothing known", "cancelled first")),
    ("order.placed", 3, "inventory"): (
        inventory_reserves_stock,
        ("all in stock", "a SKU unknown", "a SKU short", "cancelled first"),
    ),
    ("inventory.reserved", 1, "payment"): (
        payment_charges_a_reserved_order,
        ("charged", "declined", "flaky gateway", "cancelled before the reservation"),
    ),
    ("payment.captured", 1, "shipping"): (
        shipping_books_a_paid_order,
        ("to a served country", "to a country not served", "cancelled before payment"),
    ),
    ("payment.captured", 1, "loyalty"): (loyalty_awards_points, ("nothing known", "refunded first")),
    ("order.confirmed", 1, "notification"): (notification_tells_the_customer("Your order is confirmed"), ("any",)),
    ("order.cancelled", 1, "inventory"): (inventory_releases_stock, ("nothing known", "reserved", "rejected")),
    ("order.cancelled", 1, "payment"): (
        payment_refunds_a_cancelled_order,
        ("nothing known", "intent", "captured", "declined"),
    ),
    ("order.deadline-passed", 1, "payment"): (
        payment_settles_at_the_deadline,
        (
            "nothing known",
            "intent",
            "a charge that never completed",
            "a capture whose answer was lost",
            "captured",
            "declined",
            "cancelled",
        ),
    ),
    ("order.cancelled", 1, "shipping"): (
        shipping_calls_off_a_cancelled_order,
        ("nothing known", "awaiting payment", "scheduled", "failed"),
    ),
    ("order.cancelled", 1, "notification"): (notification_tells_the_customer("Your order is cancelled"), ("any",)),
    ("payment.refunded", 1, "loyalty"): (loyalty_revokes_points, ("nothing awarded", "awarded")),
    **{
        (event_type, 1, "order"): (order_moves_on(event_type), ORDER_STARTS)
        for event_type in [
            "inventory.reserved",
            "inventory.reservation-rejected",
            "payment.captured",
            "payment.declined",
            "shipping.scheduled",
            "shipping.failed",
            "loyalty.points-awarded",
            "inventory.released",
            "payment.refunded",
            "shipping.cancelled",
            "loyalty.points-revoked",
        ]
    },
}
# Grouped by consumer: pytest keeps a module-scoped fixture only while consecutive tests share its
# parameter, so each context is deployed once, not at every change of consumer (about 80 times).
SITUATIONS = sorted(
    [(t, v, c, start) for (t, v, c) in PAIRS for start in CASES.get((t, v, c), (None, ("no case",)))[1]],
    key=lambda situation: situation[2],
)


def test_every_pair_in_the_catalog_has_a_case():
    assert sorted(CASES) == sorted(PAIRS)


@pytest.mark.parametrize(
    ("event_type", "version", "consumer", "start"),
    [
        # One xdist worker per consumer (./run test --dist loadgroup), for the same reason.
        pytest.param(t, v, c, start, id=f"{t}.v{v}->{c}, {start}", marks=pytest.mark.xdist_group(f"consumer-{c}"))
        for t, v, c, start in SITUATIONS
    ],
    indirect=["consumer"],
)
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    # Shrinking re-runs handlers against moto hundreds of times (minutes); a failure is reported
    # as generated instead, with every draw labelled.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_the_consumer_takes_every_valid_event_and_does_what_it_means(event_type, version, consumer, start, data):
    consumer.reset()
    case, _ = CASES[(event_type, version, consumer.context)]
    case(consumer, data.draw, start)


# --- rejecting invalid events ---------------------------------------------------------------------

ORDER_ID = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
# One valid payload for the first type each context consumes, so that only the flaw under test is wrong.
ORDER_LINES = [{"sku": "MUG", "quantity": 1, "unitPrice": {"amount": 1250, "currency": "EUR"}}]
VALID_DATA = {
    ("order.placed", 3): {
        "orderId": ORDER_ID,
        "customerId": "cust-42",
        "lines": ORDER_LINES,
        "total": {"amount": 1250, "currency": "EUR"},
        "shippingCountry": "DE",
        # Never opened: each flaw under test is refused before decryption.
        "encryptedPaymentMethodToken": "AQICAHhub3Qgb3BlbmVk",
        "encryptedShippingAddress": "AQICAHhub3Qgb3BlbmVk",
        "placedAt": "2026-01-01T00:00:00Z",
    },
    ("inventory.reserved", 1): {
        "orderId": ORDER_ID,
        "lines": [{"sku": "MUG", "quantity": 1}],
        "reservedAt": "2026-01-01T00:00:01Z",
    },
    ("payment.captured", 1): {
        "orderId": ORDER_ID,
        "customerId": "cust-42",
        "paymentId": "ch_1",
        "amount": {"amount": 1250, "currency": "EUR"},
        "capturedAt": "2026-01-01T00:00:02Z",
    },
    ("order.confirmed", 1): {"orderId": ORDER_ID, "customerId": "cust-42", "confirmedAt": "2026-01-01T00:00:03Z"},
}


def _a_valid_event_for(context: str) -> dict[str, Any]:
    contract = CATALOG.consumed_by(context)[0]
    event = new_event(
        contract.type,
        copy.deepcopy(VALID_DATA[(contract.type, contract.version)]),
        source=CATALOG.source_of(contract.producer),
        correlation_id=ORDER_ID,
        causation_id=str(uuid.uuid4()),
        version=contract.version,
    )
    validate_event(event)
    return event


def _breaks_its_schema(context: str) -> tuple[str, str]:
    event = _a_valid_event_for(context)
    del event["data"]["customerId" if "customerId" in event["data"] else "lines"]
    return json.dumps(eventbridge_envelope(event)), "data invalid"


def _lacks_envelope_attributes(context: str) -> tuple[str, str]:
    event = _a_valid_event_for(context)
    del event["correlationid"], event["causationid"]
    return json.dumps(eventbridge_envelope(event)), "envelope invalid"


def _is_not_json(context: str) -> tuple[str, str]:
    return '{"detail-type": "order.placed", "detail": {', "not JSON"


def _has_a_lying_detail_type(context: str) -> tuple[str, str]:
    envelope = eventbridge_envelope(_a_valid_event_for(context))
    envelope["detail-type"] = "payment.refunded"
    return json.dumps(envelope), "is not the CloudEvent type"


INVALID = {
    "breaks-its-schema": _breaks_its_schema,
    "lacks-envelope-attributes": _lacks_envelope_attributes,
    "not-json": _is_not_json,
    "lying-detail-type": _has_a_lying_detail_type,
}


@pytest.mark.parametrize(
    ("consumer", "kind"),
    [
        pytest.param(c, kind, id=f"{c}-{kind}", marks=pytest.mark.xdist_group(f"consumer-{c}"))
        for c in CONSUMERS
        for kind in INVALID
    ],
    indirect=["consumer"],
)
def test_an_invalid_event_is_reported_failed_logged_and_changes_nothing(consumer, kind, caplog):
    consumer.reset()
    body, reason = INVALID[kind](consumer.context)
    bad = sqs_record(body)
    before = consumer.snapshot()

    with caplog.at_level(logging.INFO):
        response = consumer.handle(bad)

    assert response["batchItemFailures"] == [{"itemIdentifier": bad["messageId"]}]
    [rejected] = [r for r in caplog.records if r.getMessage() == "rejected invalid event"]
    assert rejected.levelno == logging.ERROR
    assert (rejected.message_id, reason in rejected.reason) == (bad["messageId"], True), rejected.reason
    assert consumer.snapshot() == before
