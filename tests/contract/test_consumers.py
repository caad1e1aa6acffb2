"""Consumer verification: every consumer accepts every valid event its schemas allow, and
rejects an invalid one cleanly.

Valid events are generated from the schemas (hypothesis-jsonschema) and wrapped in a valid
envelope; each goes through the REAL handler's dispatch function, configured as the Pulumi
program deploys it, against moto tables. So that a handler meets its events in the states
the saga can leave it in, not only on an empty table, each example first replays a short
generated history of other events the context consumes about the same order (and, for the
order context, may place that order through the API first). Neither the history nor the
event may raise anything but a "retry later" exception the handler documents.
"""

import contextlib
import copy
import importlib
import json
import logging
import uuid
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from saga_events import IntegrationEvent, new_event
from saga_events.validation import validate_event

from contracts import load_catalog
from tests.harness.cloud import Cloud, mocked_cloud
from tests.harness.deployment import DeclaredTable, deployment
from tests.harness.generation import event_data
from tests.harness.lambda_events import (
    LambdaContextStub,
    eventbridge_envelope,
    http_api_event,
    sqs_event,
    sqs_record,
)

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics:UserWarning")

CATALOG = load_catalog()
PAIRS = [(event.type, event.version, consumer) for event in CATALOG.events for consumer in event.consumers]
CONSUMERS = sorted({consumer for _, _, consumer in PAIRS})

# The only exceptions a handler may raise for a valid event: each says "not yet, retry me"
# (an event that overtook its cause, a write that lost a race, a transient gateway error).
# SQS redelivers; anything else is a bug that would dead-letter a valid event.
RETRY_LATER = {
    "order": ["order.worker.UnknownOrder", "order.store.OrderChanged"],
    "inventory": ["inventory.store.StockChanged"],
    "payment": [
        "payment.domain.IntentNotYetKnown",
        "payment.domain.ChargeInFlight",
        "payment.store.PaymentChanged",
        "payment.gateway.GatewayUnavailable",
    ],
    "shipping": ["shipping.domain.DestinationNotYetKnown", "shipping.store.ShipmentChanged"],
    "loyalty": ["loyalty.store.LedgerChanged"],
    "notification": [],
}

# Generated examples per (event type, consumer) pair: the whole file runs in about 30 s on 2 cores.
EXAMPLES = 12
MAX_HISTORY = 2
# Tokens and countries the simulation gives meaning to, mixed in with generated ones.
TOKENS = ["tok_visa", "tok_declined", "tok_flaky"]
COUNTRIES = ["DE", "US", "JP"]
# A few SKUs mixed in with generated ones, so orders repeat SKUs and meet stocked ones.
SKUS = ["MUG", "LAMP"]


@dataclass
class Consumer:
    context: str
    cloud: Cloud
    module: ModuleType
    tables: tuple[DeclaredTable, ...]
    api: ModuleType | None  # the order context's API, to place orders its worker can know
    retry_later: tuple[type[Exception], ...]

    def dispatch(self, event: dict[str, Any]) -> None:
        received = IntegrationEvent.from_cloudevent(event)
        with contextlib.suppress(*self.retry_later):
            self.module.consume.handlers[(received.type, received.version)](received)

    def handle(self, *records: dict[str, Any]) -> dict[str, Any]:
        return self.module.handle(sqs_event(*records), LambdaContextStub(function_name=f"{self.context}-worker"))

    def snapshot(self) -> dict[str, Any]:
        return {
            "tables": self.cloud.snapshot(table.name for table in self.tables),
            "bus": self.cloud.published(),
            "topics": self.cloud.notified(),
        }

    def table(self, variable: str) -> str:
        return deployment().worker(self.context).environment[variable]


@pytest.fixture
def consumer(request, monkeypatch) -> Consumer:
    context = request.param
    stack = deployment()
    worker = stack.worker(context)
    with mocked_cloud(monkeypatch) as cloud:
        module = cloud.deploy(worker, stack, monkeypatch)
        api = cloud.deploy(stack.function("order.api.handle"), stack, monkeypatch) if context == "order" else None
        retry_later = tuple(
            getattr(importlib.import_module(name.rsplit(".", 1)[0]), name.rsplit(".", 1)[1])
            for name in RETRY_LATER[context]
        )
        yield Consumer(context, cloud, module, stack.tables_of(worker), api, retry_later)


# --- generating valid events --------------------------------------------------------------------


@st.composite
def an_event(
    draw: st.DrawFn, event_type: str, version: int, order_id: str | None = None, customer_id: str | None = None
) -> dict:
    data = draw(event_data(event_type, version))
    if order_id is not None:
        data["orderId"] = order_id
    if customer_id is not None and "customerId" in data:
        data["customerId"] = customer_id
    if event_type == "order.placed":
        for line in data["lines"]:
            line["sku"] = draw(st.sampled_from([*SKUS, line["sku"]]))
    if "paymentMethodToken" in data:
        data["paymentMethodToken"] = draw(st.sampled_from([*TOKENS, data["paymentMethodToken"]]))
        data["shippingAddress"]["country"] = draw(st.sampled_from([*COUNTRIES, data["shippingAddress"]["country"]]))
    if "shippingCountry" in data:
        data["shippingCountry"] = draw(st.sampled_from([*COUNTRIES, data["shippingCountry"]]))
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


@st.composite
def a_history_and_event(draw: st.DrawFn, event_type: str, version: int, context: str) -> tuple[bool, list[dict], dict]:
    """Whether the order was placed through the API (order context), earlier events about the
    same order, and the event under test."""
    event = draw(an_event(event_type, version))
    order_id, customer_id = event["data"]["orderId"], event["data"].get("customerId")
    placed = context == "order" and draw(st.booleans())
    consumed = [(contract.type, contract.version) for contract in CATALOG.consumed_by(context)]
    history = draw(
        st.lists(
            st.sampled_from(consumed).flatmap(lambda c: an_event(*c, order_id, customer_id)),
            max_size=MAX_HISTORY,
        )
    )
    return placed, history, event


def _with_order_id(event: dict[str, Any], order_id: str) -> dict[str, Any]:
    data = {**event["data"], "orderId": order_id}
    return {**event, "data": data, "correlationid": order_id}


def _place_order(consumer: Consumer, customer_id: str | None) -> str:
    assert consumer.api is not None
    request = {
        "customerId": customer_id or "cust-1",
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
    response = consumer.api.handle(http_api_event("POST", "/orders", request), LambdaContextStub())
    assert response["statusCode"] == 202, response
    return json.loads(response["body"])["orderId"]


def _stock_what_is_ordered(consumer: Consumer, events: list[dict[str, Any]], draw: st.DrawFn) -> None:
    skus = sorted({line["sku"] for e in events if e["type"] == "order.placed" for line in e["data"]["lines"]})
    for sku in skus:
        available = draw(st.one_of(st.none(), st.integers(0, 2500)), label=f"stock of {sku}")
        if available is not None:
            consumer.cloud.dynamodb.put_item(
                TableName=consumer.table("STOCK_TABLE"),
                Item={"sku": {"S": sku}, "available": {"N": str(available)}},
            )


@pytest.mark.parametrize(
    ("event_type", "version", "consumer"),
    [pytest.param(t, v, c, id=f"{t}.v{v}->{c}") for t, v, c in PAIRS],
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
def test_the_consumer_accepts_every_valid_event_its_schema_allows(event_type, version, consumer, data):
    consumer.cloud.empty(consumer.tables)
    placed, history, event = data.draw(a_history_and_event(event_type, version, consumer.context), label="events")
    if placed:
        order_id = _place_order(consumer, event["data"].get("customerId"))
        history = [_with_order_id(e, order_id) for e in history]
        event = _with_order_id(event, order_id)
    if consumer.context == "inventory":
        _stock_what_is_ordered(consumer, [*history, event], data.draw)

    for earlier in history:
        consumer.dispatch(earlier)
    consumer.dispatch(event)


# --- rejecting invalid events ---------------------------------------------------------------------

ORDER_ID = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
# One valid payload for the first type each context consumes, so that only the flaw under test is wrong.
ORDER_LINES = [{"sku": "MUG", "quantity": 1, "unitPrice": {"amount": 1250, "currency": "EUR"}}]
VALID_DATA = {
    ("order.placed", 1): {
        "orderId": ORDER_ID,
        "customerId": "cust-42",
        "lines": ORDER_LINES,
        "total": {"amount": 1250, "currency": "EUR"},
        "paymentMethodToken": "tok_visa",
        "shippingAddress": {
            "recipient": "Ada",
            "line1": "1 Main St",
            "city": "Berlin",
            "postalCode": "1",
            "country": "DE",
        },
        "placedAt": "2026-01-01T00:00:00Z",
    },
    ("order.placed", 2): {
        "orderId": ORDER_ID,
        "customerId": "cust-42",
        "lines": ORDER_LINES,
        "total": {"amount": 1250, "currency": "EUR"},
        "shippingCountry": "DE",
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


@pytest.mark.parametrize("kind", INVALID)
@pytest.mark.parametrize("consumer", CONSUMERS, indirect=True)
def test_an_invalid_event_is_reported_failed_logged_and_changes_nothing(consumer, kind, caplog):
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
