"""The saga's promises, checked after a chaos run from what each context itself recorded.

Every check reads the system's own state (each context's tables, the payment provider's
side, the customer topic, the event log, the dead-letter queues), never what the run
believes it did, and names each violation so it can be traced.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from chaos.driver import PlacedOrder
from chaos.orders import OrderKind
from contracts import load_envelope_schema, load_event_schemas
from saga_client.operations import plain
from saga_client.state import NotificationInbox
from saga_client.target import SagaTarget

TERMINAL = {"CONFIRMED", "CANCELLED"}
# Loyalty's published rule (one point per whole currency unit paid); restated here on purpose,
# so that a change to the rule in code shows up as a violation, not as a new expectation.
MINOR_UNITS_PER_POINT = 100
# What each kind of order may end as: status and, for cancellations, the reasons that fit.
# Contention may take the stock first from any order that reserves, hence OUT_OF_STOCK.
_FITTING_OUTCOMES: dict[OrderKind, set[tuple[str, str | None]]] = {
    OrderKind.HAPPY: {("CONFIRMED", None), ("CANCELLED", "OUT_OF_STOCK")},
    OrderKind.FLAKY: {("CONFIRMED", None), ("CANCELLED", "OUT_OF_STOCK")},
    OrderKind.REPEATED_POST: {("CONFIRMED", None), ("CANCELLED", "OUT_OF_STOCK")},
    OrderKind.DECLINED: {("CANCELLED", "PAYMENT_DECLINED"), ("CANCELLED", "OUT_OF_STOCK")},
    OrderKind.UNSERVED_COUNTRY: {("CANCELLED", "SHIPPING_UNAVAILABLE"), ("CANCELLED", "OUT_OF_STOCK")},
    OrderKind.OUT_OF_STOCK: {("CANCELLED", "OUT_OF_STOCK")},
    OrderKind.UNKNOWN_SKU: {("CANCELLED", "UNKNOWN_SKU")},
    OrderKind.CUSTOMER_CANCEL: {("CONFIRMED", None), ("CANCELLED", "CUSTOMER_REQUEST"), ("CANCELLED", "OUT_OF_STOCK")},
}


@dataclass
class Invariant:
    name: str
    checked: int = 0
    violations: list[str] = field(default_factory=list)

    def check(self, holds: bool, violation: str) -> None:
        self.checked += 1
        if not holds:
            self.violations.append(violation)


@dataclass
class SystemState:
    """Everything the checks read, read once after the system went quiet."""

    orders: dict[str, dict[str, Any]]
    stock: dict[str, int]
    charges: dict[str, list[dict[str, Any]]]
    ledger: dict[str, list[dict[str, Any]]]
    notifications: dict[str, list[dict[str, Any]]]
    events: list[dict[str, Any]]
    dead_letters: dict[str, list[dict[str, Any]]]

    @classmethod
    def read(cls, saga: SagaTarget, inbox: NotificationInbox) -> SystemState:
        orders = {item["orderId"]: item for item in _scan(saga, "order", "orders") if item["sk"] == "ORDER"}
        stock = {item["sku"]: int(item["available"]) for item in _scan(saga, "inventory", "stock")}
        charges: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for item in _scan(saga, "payment", "gateway"):
            if item["chargeKey"].startswith("charge#"):
                charges[item["idempotencyKey"].removeprefix("order-")].append(item)
        ledger: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for item in _scan(saga, "loyalty", "ledger"):
            ledger[item["customerId"]].append(item)
        notifications: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for message in inbox.all_messages():
            notifications[message["orderId"]].append(message)
        return cls(
            orders=orders,
            stock=stock,
            charges=dict(charges),
            ledger=dict(ledger),
            notifications=dict(notifications),
            events=list(_logged_events(saga)),
            dead_letters={
                context: _peek_all(saga, saga.context(context)["deadLetterQueueUrl"]) for context in _CONTEXTS
            },
        )


_CONTEXTS = ("order", "inventory", "payment", "shipping", "loyalty", "notification")


def check_all(
    state: SystemState,
    placed: list[PlacedOrder],
    initial_stock: dict[str, int],
    unfinished_after_deadline: set[str],
) -> list[Invariant]:
    return [
        _answers_are_orders(state, placed),
        _every_order_terminal(state, unfinished_after_deadline),
        _outcome_fits_the_order(state, placed),
        _stock_is_conserved(state, initial_stock),
        _money_adds_up(state),
        _points_match_confirmed_orders(state),
        _customer_told_the_outcome(state),
        _dead_letter_queues_empty(state),
        _logged_events_valid(state),
        _causation_known(state, placed),
    ]


def _answers_are_orders(state: SystemState, placed: list[PlacedOrder]) -> Invariant:
    result = Invariant("every accepted POST is one stored order")
    for order in placed:
        result.check(order.problem is None, f"order #{order.planned.number}: {order.problem}")
        if order.order_id is None:
            continue
        result.check(
            len(set(order.answered_order_ids)) == 1,
            f"order #{order.planned.number}: one Idempotency-Key answered {sorted(set(order.answered_order_ids))}",
        )
        result.check(order.order_id in state.orders, f"order {order.order_id} was accepted but is not stored")
    # Every POST carried an Idempotency-Key and was retried until answered: an order no client
    # was told about is a second order placed by a retry.
    answered = {order.order_id for order in placed}
    for order_id in state.orders:
        result.check(order_id in answered, f"order {order_id} is stored but no client was answered it")
    return result


def _every_order_terminal(state: SystemState, unfinished: set[str]) -> Invariant:
    result = Invariant("every order terminal within the deadline")
    for order_id, order in state.orders.items():
        result.check(
            order["status"] in TERMINAL and order_id not in unfinished,
            f"order {order_id} is {order['status']}"
            + (" (reached only after the deadline)" if order["status"] in TERMINAL else ""),
        )
    return result


def _outcome_fits_the_order(state: SystemState, placed: list[PlacedOrder]) -> Invariant:
    result = Invariant("each order's outcome fits its kind")
    for order in placed:
        stored = state.orders.get(order.order_id or "")
        if stored is None:
            continue
        outcome = (stored["status"], stored.get("cancellationReason"))
        result.check(
            outcome in _FITTING_OUTCOMES[order.planned.kind],
            f"{order.planned.kind} order {order.order_id} ended {outcome[0]} {outcome[1] or ''}".rstrip(),
        )
        if order.cancel_status == 409:
            result.check(stored["status"] == "CONFIRMED", f"cancel of {order.order_id} refused but it is {outcome[0]}")
    return result


def _stock_is_conserved(state: SystemState, initial_stock: dict[str, int]) -> Invariant:
    result = Invariant("stock: initial = on hand + held by CONFIRMED orders, never negative")
    held: Counter[str] = Counter()
    for order in state.orders.values():
        if order["status"] == "CONFIRMED":
            for line in order["lines"]:
                held[line["sku"]] += int(line["quantity"])
    for sku, initial in sorted(initial_stock.items()):
        on_hand = state.stock.get(sku)
        result.check(on_hand is not None and on_hand >= 0, f"{sku}: on hand {on_hand}")
        result.check(
            on_hand is not None and initial == on_hand + held[sku],
            f"{sku}: initial {initial} != on hand {on_hand} + held by confirmed orders {held[sku]}",
        )
    return result


def _money_adds_up(state: SystemState) -> Invariant:
    result = Invariant("money: captured - refunded = total if CONFIRMED else 0; never charged twice")
    for order_id, order in state.orders.items():
        charges = state.charges.get(order_id, [])
        result.check(len(charges) <= 1, f"order {order_id} was charged {len(charges)} times at the gateway")
        kept = sum(int(c["amount"]) for c in charges if c["state"] == "CAPTURED")
        total = sum(int(line["quantity"]) * int(line["unitPrice"]["amount"]) for line in order["lines"])
        expected = total if order["status"] == "CONFIRMED" else 0
        result.check(kept == expected, f"order {order_id} ({order['status']}): kept {kept}, expected {expected}")
    unknown = set(state.charges) - set(state.orders)
    result.check(not unknown, f"charges for orders that do not exist: {sorted(unknown)}")
    return result


def _points_match_confirmed_orders(state: SystemState) -> Invariant:
    result = Invariant("points: each customer's ledger = points of their CONFIRMED orders")
    earned: Counter[str] = Counter()
    customers = {order["customerId"] for order in state.orders.values()} | set(state.ledger)
    for order in state.orders.values():
        if order["status"] == "CONFIRMED":
            total = sum(int(line["quantity"]) * int(line["unitPrice"]["amount"]) for line in order["lines"])
            earned[order["customerId"]] += total // MINOR_UNITS_PER_POINT
    for customer in sorted(customers):
        entries = state.ledger.get(customer, [])
        balance = sum(int(entry["points"]) for entry in entries)
        result.check(
            balance == earned[customer], f"{customer}: ledger {balance}, confirmed orders earn {earned[customer]}"
        )
        # One award and at most one revocation per order: no redelivery may add another.
        per_order = Counter((entry["orderId"], entry["kind"]) for entry in entries)
        repeated = [key for key, count in per_order.items() if count > 1]
        result.check(not repeated, f"{customer}: ledger entries repeated {repeated}")
    return result


def _customer_told_the_outcome(state: SystemState) -> Invariant:
    result = Invariant("each terminal order's customer was told its outcome")
    for order_id, order in state.orders.items():
        if order["status"] not in TERMINAL:
            continue
        told = Counter(message["kind"] for message in state.notifications.get(order_id, []))
        wanted = f"order.{order['status'].lower()}"
        result.check(told[wanted] >= 1, f"order {order_id} is {order['status']} but the customer was told {dict(told)}")
        wrong = sum(count for kind, count in told.items() if kind != wanted)
        result.check(wrong == 0, f"order {order_id} is {order['status']} but the customer was also told {dict(told)}")
    return result


def duplicate_notifications(state: SystemState) -> int:
    """Messages a customer got more than once for the same news (at-least-once SNS; reported, not a violation)."""
    return sum(
        count - 1
        for messages in state.notifications.values()
        for count in Counter(message["kind"] for message in messages).values()
        if count > 1
    )


def _dead_letter_queues_empty(state: SystemState) -> Invariant:
    result = Invariant("every dead-letter queue empty")
    for context, messages in state.dead_letters.items():
        described = "; ".join(_describe_dead_letter(message) for message in messages)
        result.check(not messages, f"{context} DLQ holds {len(messages)}: {described}")
    return result


def _describe_dead_letter(message: dict[str, Any]) -> str:
    try:
        body = json.loads(message["Body"])
        event = body.get("detail", body)
        return f"{event.get('type')} {event.get('id')} for order {event.get('correlationid')}"
    except (ValueError, AttributeError):
        return f"an unreadable message {message['MessageId']}"


def _logged_events_valid(state: SystemState) -> Invariant:
    result = Invariant("every logged event valid against its schema")
    # The reference validator, not the one the handlers use: the checker must not share their bugs.
    envelope = Draft202012Validator(load_envelope_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER)
    schemas = {
        uri: Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
        for uri, schema in load_event_schemas().items()
    }
    result.check(bool(state.events), "the event log holds no events at all")
    for event in state.events:
        error = best_match(envelope.iter_errors(event))
        schema = schemas.get(event.get("dataschema", ""))
        if error is None and schema is not None:
            error = best_match(schema.iter_errors(event.get("data")))
        result.check(
            error is None and schema is not None,
            f"{event.get('type')} {event.get('id')}: {error.message if error else 'unknown dataschema'}",
        )
    return result


def _causation_known(state: SystemState, placed: list[PlacedOrder]) -> Invariant:
    result = Invariant("every causationid names a logged event or an API request")
    known = {event["id"] for event in state.events} | {rid for order in placed for rid in order.request_ids}
    for event in state.events:
        cause = event.get("causationid")
        result.check(cause in known, f"{event.get('type')} {event.get('id')} was caused by unknown {cause}")
    return result


def _scan(saga: SagaTarget, context: str, table: str) -> Iterator[dict[str, Any]]:
    paginator = saga.client("dynamodb").get_paginator("scan")
    for page in paginator.paginate(TableName=saga.table(context, table), ConsistentRead=True):
        for item in page["Items"]:
            yield _numbers_as_ints(plain(item))


def _numbers_as_ints(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _numbers_as_ints(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_numbers_as_ints(v) for v in value]
    if isinstance(value, Decimal):
        return int(value)
    return value


def _logged_events(saga: SagaTarget) -> Iterator[dict[str, Any]]:
    """Every CloudEvent the global bus logged, once per log entry (repeats are kept: they are evidence)."""
    logs = saga.client("logs")
    kwargs: dict[str, Any] = {"logGroupName": saga.outputs["eventLogGroup"]}
    while True:
        page = logs.filter_log_events(**kwargs)
        for entry in page.get("events", []):
            yield json.loads(entry["message"])["detail"]
        if not page.get("nextToken"):
            return
        kwargs["nextToken"] = page["nextToken"]


def _peek_all(saga: SagaTarget, queue_url: str) -> list[dict[str, Any]]:
    """The messages waiting in a queue, read without taking them (visibility 0)."""
    seen: dict[str, dict[str, Any]] = {}
    sqs = saga.client("sqs")
    for _ in range(20):
        messages = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=0, WaitTimeSeconds=0
        ).get("Messages", [])
        fresh = [m for m in messages if m["MessageId"] not in seen]
        if not fresh:
            break
        seen.update((m["MessageId"], m) for m in fresh)
    return list(seen.values())
