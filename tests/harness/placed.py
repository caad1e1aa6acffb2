"""order.placed v3 as the order API publishes it: built by the real producer, its token and address
encrypted for their readers under the field keys the Pulumi program declares (created in moto here)."""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from order.domain import Money, OrderLine, ShippingAddress, place_order
from order.events import order_placed
from saga_events.sealing import SEALED_FIELD_KEYS, FieldSealer

from tests.harness.declared_stack import declared_stack


def field_keys() -> dict[str, str]:
    """Each reader's field key alias, created in the running moto if it is not there yet."""
    keys = json.loads(declared_stack().function("order.api.handle").environment[SEALED_FIELD_KEYS])
    kms = boto3.client("kms")
    existing = {alias["AliasName"] for alias in kms.list_aliases()["Aliases"]}
    for alias in set(keys.values()) - existing:
        kms.create_alias(AliasName=alias, TargetKeyId=kms.create_key()["KeyMetadata"]["KeyId"])
    return keys


def placed_v3(
    order_id: str, token: str = "tok_visa", *, customer: str = "cust-42", country: str = "DE", quantity: int = 2
) -> dict[str, Any]:
    order = place_order(
        order_id,
        customer,
        (OrderLine("MUG", quantity, Money(1250, "EUR")),),
        token,
        ShippingAddress("Ada", "1 Main St", "Berlin", "10115", country),
        datetime(2026, 1, 1, tzinfo=UTC),
        time_allowed=timedelta(minutes=15),
    )
    [v3] = order_placed(
        order, f"request-{order_id}", FieldSealer(boto3.client("kms"), field_keys()), source="saga.order"
    )
    return v3
