"""DynamoDB adapter for the points ledger: pk customerId, sk "ORDER#<order id>#<AWARD|REVOKE>"."""

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from loyalty.domain import LedgerEntry


class LedgerChanged(RuntimeError):
    """Another event for the same order wrote first; retry and decide again."""


class LedgerStore:
    def __init__(self, dynamodb_client: Any, table: str) -> None:
        self._db = dynamodb_client
        self._table = table

    def entry(self, customer_id: str, order_id: str, kind: str) -> LedgerEntry | None:
        item = self._db.get_item(TableName=self._table, Key=_key(customer_id, order_id, kind), ConsistentRead=True).get(
            "Item"
        )
        return None if item is None else LedgerEntry(order_id, kind, int(item["points"]["N"]))

    def entries(self, customer_id: str) -> list[LedgerEntry]:
        # Every page: a long-standing customer's ledger outgrows one query answer (1 MB).
        pages = self._db.get_paginator("query").paginate(
            TableName=self._table,
            KeyConditionExpression="customerId = :c",
            ExpressionAttributeValues={":c": {"S": customer_id}},
            ConsistentRead=True,
        )
        return [
            LedgerEntry(item["orderId"]["S"], item["kind"]["S"], int(item["points"]["N"]))
            for page in pages
            for item in page["Items"]
        ]

    def add_award(self, customer_id: str, entry: LedgerEntry, now: datetime) -> None:
        """Credit the award, provided the order has neither an award nor a revocation yet."""
        self._transact(
            [
                self._absent(customer_id, entry.order_id, "REVOKE"),
                {"Put": _put(self._table, customer_id, entry, now)},
            ]
        )

    def add_revocation(self, customer_id: str, entry: LedgerEntry, now: datetime, awarded: bool) -> None:
        """Record the revocation once. A zero tombstone also requires that no award slipped in
        since we looked, or the late award would never be taken back."""
        checks = [] if awarded else [self._absent(customer_id, entry.order_id, "AWARD")]
        self._transact([*checks, {"Put": _put(self._table, customer_id, entry, now)}])

    def _absent(self, customer_id: str, order_id: str, kind: str) -> dict[str, Any]:
        return {
            "ConditionCheck": {
                "TableName": self._table,
                "Key": _key(customer_id, order_id, kind),
                "ConditionExpression": "attribute_not_exists(customerId)",
            }
        }

    def _transact(self, items: list[dict[str, Any]]) -> None:
        try:
            self._db.transact_write_items(TransactItems=items)
        except ClientError as error:
            if error.response["Error"]["Code"] == "TransactionCanceledException":
                raise LedgerChanged(error.response["Error"].get("Message", "")) from error
            raise


def _key(customer_id: str, order_id: str, kind: str) -> dict[str, Any]:
    return {"customerId": {"S": customer_id}, "entry": {"S": f"ORDER#{order_id}#{kind}"}}


def _put(table: str, customer_id: str, entry: LedgerEntry, now: datetime) -> dict[str, Any]:
    return {
        "TableName": table,
        "Item": {
            **_key(customer_id, entry.order_id, entry.kind),
            "orderId": {"S": entry.order_id},
            "kind": {"S": entry.kind},
            "points": {"N": str(entry.points)},
            "recordedAt": {"S": now.isoformat()},
        },
        "ConditionExpression": "attribute_not_exists(customerId)",
    }
