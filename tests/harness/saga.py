"""An in-process mini saga: every real handler on one moto cloud, events routed by the catalog.

Each published event is handed, as an SQS batch of one, to every consumer the catalog names;
order events leave the orders table through the real outbox relay, fed the stream records
DynamoDB would write. Every publish is recorded at the publish boundary with the function
that made it and the event (or HTTP request) that caused it.
"""

import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from saga_events import EventPublisher

from contracts import Catalog, load_catalog
from tests.harness.cloud import Cloud
from tests.harness.declared_stack import DeclaredStack, declared_stack
from tests.harness.lambda_events import (
    LambdaContextStub,
    dynamodb_insert_record,
    http_api_event,
    record_for,
    sqs_event,
)

MAX_DELIVERIES = 5


@dataclass(frozen=True)
class Publication:
    """One event as a function handed it to EventPublisher.publish (so, to PutEvents)."""

    event: dict[str, Any]
    function: str  # logical name of the publishing function
    context: str  # the context that function belongs to
    cause_id: str  # the event delivered, or the HTTP request, that the function was handling
    published: bool  # False if the publisher refused it (InvalidEvent) or PutEvents failed


class SagaStuck(AssertionError):
    pass


class MiniSaga:
    def __init__(self, cloud: Cloud, monkeypatch: pytest.MonkeyPatch, stack: DeclaredStack | None = None) -> None:
        self.cloud = cloud
        self.catalog: Catalog = load_catalog()
        self.declared = stack or declared_stack()
        self.publications: list[Publication] = []
        self._attempts: list[tuple[dict[str, Any], list[bool]]] = []
        original_publish = EventPublisher.publish

        def recording_publish(publisher: EventPublisher, events: list[dict[str, Any]]) -> None:
            # Recorded before the publisher validates, so an invalid event is seen, not just missing.
            outcome = [False]
            self._attempts.extend((json.loads(json.dumps(event)), outcome) for event in events)
            original_publish(publisher, events)
            outcome[0] = True

        monkeypatch.setattr(EventPublisher, "publish", recording_publish)
        self.workers = {
            worker.context: cloud.deploy(worker, self.declared, monkeypatch) for worker in self.declared.queue_workers()
        }
        self.api_function = self.declared.function("order.api.handle")
        self.api = cloud.deploy(self.api_function, self.declared, monkeypatch)
        self.relay_function = self.declared.function("order.outbox_relay.handle")
        self.relay = cloud.deploy(self.relay_function, self.declared, monkeypatch)
        [self._orders] = [
            t
            for t in self.declared.tables_of(self.api_function)
            if t.name == self.api_function.environment["ORDERS_TABLE"]
        ]
        self.sweeper_function = self.declared.function("order.sweeper.handle")
        self.sweeper = cloud.deploy(self.sweeper_function, self.declared, monkeypatch)
        self._relayed: set[str] = set()
        self._pending: deque[tuple[dict[str, Any], str, int]] = deque()
        self.held: list[dict[str, Any]] = []

    # --- the order API -------------------------------------------------------------------------

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """Call the order API; the events it writes to the outbox are relayed at once."""
        http = http_api_event(method, path, body)
        response = self.api.handle(http, LambdaContextStub(function_name="order-api"))
        self._relay(cause_id=http["requestContext"]["requestId"])
        return {"status": response["statusCode"], "body": json.loads(response["body"] or "null")}

    def place_order(self, order: dict[str, Any]) -> str:
        response = self.request("POST", "/orders", order)
        assert response["status"] == 202, response
        return response["body"]["orderId"]

    def cancel_order(self, order_id: str) -> None:
        response = self.request("POST", f"/orders/{order_id}/cancel")
        assert response["status"] == 202, response

    def order(self, order_id: str) -> dict[str, Any]:
        response = self.request("GET", f"/orders/{order_id}")
        assert response["status"] == 200, response
        return response["body"]

    def sweep(self, execution_id: str = "sweep-1") -> dict[str, Any]:
        """One run of the sweeper, as its schedule invokes it; what it decides is relayed at once."""
        answer = self.sweeper.handle(
            {"executionId": execution_id, "scheduledTime": "2026-01-01T00:00:00Z"},
            LambdaContextStub(function_name="order-sweeper"),
        )
        self._relay(cause_id=execution_id)
        return answer

    # --- routing ----------------------------------------------------------------------------------

    def run(self, hold: Callable[[dict[str, Any]], bool] = lambda event: False) -> None:
        """Deliver everything published until nothing moves; events `hold` picks wait in `held`."""
        while self._pending:
            event, context, attempt = self._pending.popleft()
            if hold(event):
                if event not in self.held:
                    self.held.append(event)
                continue
            if not self.deliver(event, context):
                if attempt + 1 >= MAX_DELIVERIES:
                    raise SagaStuck(f"{context} keeps failing {event['type']} {event['id']}")
                self._pending.append((event, context, attempt + 1))

    def release(self, event: dict[str, Any]) -> None:
        """Deliver a held event to its consumers now."""
        self.held.remove(event)
        self._route(event)
        self.run()

    def deliver(self, event: dict[str, Any], context: str) -> bool:
        """One SQS batch with this event to the context's worker; True if it was not failed."""
        worker = self.declared.worker(context)
        response = self.workers[context].handle(
            sqs_event(record_for(event)), LambdaContextStub(function_name=worker.name)
        )
        self._collect(worker.name, context, cause_id=event["id"])
        if context == "order":
            self._relay(cause_id=event["id"])
        return not response["batchItemFailures"]

    def _relay(self, cause_id: str) -> None:
        """Feed the outbox items written since the last relay to the relay, as stream INSERTs."""
        fresh = [
            item
            for item in self.cloud.items(self._orders.name)
            if item.get("kind", {}).get("S") == "outbox" and item["sk"]["S"] not in self._relayed
        ]
        if not fresh:
            return
        records = [
            dynamodb_insert_record(
                item,
                (self._orders.hash_key, self._orders.range_key or ""),
                table_arn=self._orders.arn,
                sequence_number=len(self._relayed) + n,
            )
            for n, item in enumerate(fresh)
        ]
        response = self.relay.handle({"Records": records}, LambdaContextStub(function_name="order-outbox-relay"))
        assert response["batchItemFailures"] == [], f"the outbox relay failed to publish: {response}"
        self._relayed.update(item["sk"]["S"] for item in fresh)
        self._collect(self.relay_function.name, "order", cause_id)

    def _collect(self, function: str, context: str, cause_id: str) -> None:
        attempts, self._attempts = self._attempts, []
        for event, [published] in attempts:
            self.publications.append(Publication(event, function, context, cause_id, published))
            if published:
                self._route(event)

    def _route(self, event: dict[str, Any]) -> None:
        try:
            contract = self.catalog.contract(event["type"], int(event["dataschema"].rsplit("/v", 1)[1][:-5]))
        except (KeyError, ValueError, IndexError):
            return  # not a catalog event: the publication checks report it
        for consumer in contract.consumers:
            self._pending.append((event, consumer, 0))
