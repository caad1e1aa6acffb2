"""DynamoDB adapter for stock levels and reservations.

Every write is conditional, so the table itself enforces what the domain decided
from a read: stock never goes below zero, and an order has at most one reservation
record (held, rejected, released, or a cancellation tombstone).
"""

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from inventory.domain import (
    Rejected,
    RejectionReason,
    Reservation,
    ReservationStatus,
    StockRequest,
)


class StockChanged(RuntimeError):
    """The stock or the reservation moved between our read and our write; retry the event."""


class InventoryStore:
    def __init__(self, dynamodb_client: Any, stock_table: str, reservations_table: str) -> None:
        self._db = dynamodb_client
        self._stock = stock_table
        self._reservations = reservations_table

    def stock_on_hand(self, skus: list[str]) -> dict[str, int]:
        """Available quantity per known SKU; unknown SKUs are absent."""
        if not skus:
            return {}
        response = self._db.batch_get_item(
            RequestItems={
                self._stock: {
                    "Keys": [{"sku": {"S": sku}} for sku in sorted(set(skus))],
                    "ConsistentRead": True,
                }
            }
        )
        if response.get("UnprocessedKeys"):
            raise StockChanged("stock read was throttled; retrying")
        items = response["Responses"].get(self._stock, [])
        return {item["sku"]["S"]: int(item["available"]["N"]) for item in items}

    def reservation(self, order_id: str) -> Reservation | None:
        item = self._db.get_item(
            TableName=self._reservations, Key={"orderId": {"S": order_id}}, ConsistentRead=True
        ).get("Item")
        return None if item is None else _reservation_from_item(item)

    def hold(self, order_id: str, lines: tuple[StockRequest, ...], now: datetime) -> None:
        """Take every line off the shelf and record the reservation, in one transaction."""
        takes = [
            {
                "Update": {
                    "TableName": self._stock,
                    "Key": {"sku": {"S": line.sku}},
                    "UpdateExpression": "SET available = available - :q",
                    "ConditionExpression": "available >= :q",
                    "ExpressionAttributeValues": {":q": {"N": str(line.quantity)}},
                }
            }
            for line in lines
        ]
        record = _new_record(self._reservations, order_id, ReservationStatus.RESERVED, now, lines=lines)
        self._transact([*takes, record])

    def mark_announced(self, order_id: str) -> None:
        """Note that the reservation's outcome was published (one write unit, where an idempotency
        record would take two): a repeat of order.placed then publishes nothing."""
        self._db.update_item(
            TableName=self._reservations,
            Key={"orderId": {"S": order_id}},
            UpdateExpression="SET outcomeAnnounced = :yes",
            ExpressionAttributeValues={":yes": {"BOOL": True}},
        )

    def record_rejection(self, order_id: str, rejection: Rejected, now: datetime) -> None:
        self._transact(
            [
                _new_record(
                    self._reservations,
                    order_id,
                    ReservationStatus.REJECTED,
                    now,
                    rejection=rejection,
                )
            ]
        )

    def record_cancellation(self, order_id: str, now: datetime) -> None:
        """The tombstone that makes a late order.placed refuse to reserve."""
        self._transact([_new_record(self._reservations, order_id, ReservationStatus.CANCELLED, now)])

    def release(self, reservation: Reservation, now: datetime) -> None:
        """Put the held stock back and mark the reservation released, in one transaction."""
        returns = [
            {
                "Update": {
                    "TableName": self._stock,
                    "Key": {"sku": {"S": line.sku}},
                    "UpdateExpression": "SET available = available + :q",
                    "ConditionExpression": "attribute_exists(sku)",
                    "ExpressionAttributeValues": {":q": {"N": str(line.quantity)}},
                }
            }
            for line in reservation.lines
        ]
        mark = {
            "Update": {
                "TableName": self._reservations,
                "Key": {"orderId": {"S": reservation.order_id}},
                "UpdateExpression": "SET #s = :released, updatedAt = :now",
                "ConditionExpression": "#s = :reserved",
                "ExpressionAttributeNames": {"#s": "status"},
                "ExpressionAttributeValues": {
                    ":released": {"S": ReservationStatus.RELEASED},
                    ":reserved": {"S": ReservationStatus.RESERVED},
                    ":now": {"S": now.isoformat()},
                },
            }
        }
        self._transact([*returns, mark])

    def _transact(self, items: list[dict[str, Any]]) -> None:
        try:
            self._db.transact_write_items(TransactItems=items)
        except ClientError as error:
            if error.response["Error"]["Code"] == "TransactionCanceledException":
                raise StockChanged(f"a condition no longer held: {error.response['Error'].get('Message')}") from error
            raise


def _new_record(
    table: str,
    order_id: str,
    status: ReservationStatus,
    now: datetime,
    lines: tuple[StockRequest, ...] = (),
    rejection: Rejected | None = None,
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "orderId": {"S": order_id},
        "status": {"S": status},
        "lines": {"L": [_line_item(line) for line in lines]},
        "updatedAt": {"S": now.isoformat()},
    }
    if rejection is not None:
        item["rejectionReason"] = {"S": rejection.reason}
        item["rejectedSkus"] = {"L": [{"S": sku} for sku in rejection.skus]}
    return {
        "Put": {
            "TableName": table,
            "Item": item,
            "ConditionExpression": "attribute_not_exists(orderId)",
        }
    }


def _line_item(line: StockRequest) -> dict[str, Any]:
    return {"M": {"sku": {"S": line.sku}, "quantity": {"N": str(line.quantity)}}}


def _reservation_from_item(item: dict[str, Any]) -> Reservation:
    lines = tuple(
        StockRequest(entry["M"]["sku"]["S"], int(entry["M"]["quantity"]["N"]))
        for entry in item.get("lines", {}).get("L", [])
    )
    rejection = None
    if "rejectionReason" in item:
        rejection = Rejected(
            RejectionReason(item["rejectionReason"]["S"]),
            tuple(sku["S"] for sku in item.get("rejectedSkus", {}).get("L", [])),
        )
    return Reservation(
        order_id=item["orderId"]["S"],
        status=ReservationStatus(item["status"]["S"]),
        lines=lines,
        rejection=rejection,
        announced=item.get("outcomeAnnounced", {}).get("BOOL", False),
    )
