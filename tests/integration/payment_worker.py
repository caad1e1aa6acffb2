"""The real payment worker, as its tests drive it: SQS batches in, what it stored, charged and published out."""

import importlib
import sys
from types import ModuleType

import pytest
from saga_events import new_event
from saga_events.sealing import FIELD_KEY

from contracts import load_catalog
from tests.harness.cloud import Cloud
from tests.harness.lambda_events import LambdaContextStub, record_for, sqs_event
from tests.harness.placed import field_keys, placed_v3

TABLES = {"PAYMENTS_TABLE": ("payments", "orderId"), "GATEWAY_TABLE": ("gateway", "chargeKey")}
TABLES["IDEMPOTENCY_TABLE"] = ("payment-idempotency", "id")


class PaymentWorker:
    def __init__(self, cloud: Cloud, handler: ModuleType) -> None:
        self.cloud = cloud
        self.handler = handler

    def deliver(self, *cloudevents: dict) -> list[str]:
        """Deliver the events as one SQS batch; the message ids SQS is told to retry."""
        return self.deliver_records(*(record_for(event) for event in cloudevents))

    def deliver_records(self, *records: dict) -> list[str]:
        response = self.handler.handle(sqs_event(*records), LambdaContextStub())
        return [failure["itemIdentifier"] for failure in response["batchItemFailures"]]

    def payment(self, order_id: str) -> dict:
        item = self.cloud.dynamodb.get_item(TableName="payments", Key={"orderId": {"S": order_id}}).get("Item")
        return {name: next(iter(value.values())) for name, value in (item or {}).items()}

    def charges(self) -> list[dict]:
        return [item for item in self.cloud.items("gateway") if item["chargeKey"]["S"].startswith("charge#")]

    def forget_everything(self) -> None:
        """Empty the worker's tables and the bus tap: the next scenario starts from nothing."""
        for table, hash_key in TABLES.values():
            for item in self.cloud.items(table):
                self.cloud.dynamodb.delete_item(TableName=table, Key={hash_key: item[hash_key]})
        self.cloud.published()


def load_payment_worker(cloud: Cloud, monkeypatch: pytest.MonkeyPatch) -> PaymentWorker:
    for variable, (table, hash_key) in TABLES.items():
        monkeypatch.setenv(variable, table)
        cloud.create_table(table, hash_key)
    monkeypatch.setenv("EVENT_SOURCE", load_catalog().source_of("payment"))
    monkeypatch.setenv(FIELD_KEY, field_keys()["payment"])
    # The handler builds its clients and reads its config at import, as on a cold start.
    sys.modules.pop("payment.handler", None)
    return PaymentWorker(cloud, importlib.import_module("payment.handler"))


def order_placed(order_id: str, token: str = "tok_visa") -> dict:
    """order.placed v3 as the order API publishes it, the token encrypted for payment."""
    return placed_v3(order_id, token)


def inventory_reserved(order_id: str) -> dict:
    return new_event(
        "inventory.reserved",
        {"orderId": order_id, "lines": [{"sku": "MUG", "quantity": 2}], "reservedAt": "2026-01-01T00:00:01Z"},
        source="saga.inventory",
        correlation_id=order_id,
        causation_id=f"placed-{order_id}",
    )


def order_cancelled(order_id: str, reason: str = "CUSTOMER_REQUEST") -> dict:
    return new_event(
        "order.cancelled",
        {"orderId": order_id, "customerId": "cust-42", "reason": reason, "cancelledAt": "2026-01-01T00:00:02Z"},
        source="saga.order",
        correlation_id=order_id,
        causation_id=f"cancel-{order_id}",
    )


def only(events: list[dict], event_type: str) -> dict:
    [event] = [event for event in events if event["type"] == event_type]
    return event
