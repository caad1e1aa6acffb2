"""DynamoDB adapter for shipments: one record per order, every transition a conditional write."""

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from shipping.domain import Shipment, ShipmentStatus


class ShipmentChanged(RuntimeError):
    """The record moved between our read and our write; retry the event."""


class ShipmentStore:
    def __init__(self, dynamodb_client: Any, table: str) -> None:
        self._db = dynamodb_client
        self._table = table

    def get(self, order_id: str) -> Shipment | None:
        item = self._db.get_item(TableName=self._table, Key={"orderId": {"S": order_id}}, ConsistentRead=True).get(
            "Item"
        )
        if item is None:
            return None
        return Shipment(
            order_id=order_id,
            status=ShipmentStatus(item["status"]["S"]),
            country=item.get("country", {}).get("S"),
            shipment_id=item.get("shipmentId", {}).get("S"),
            announced=item.get("outcomeAnnounced", {}).get("BOOL", False),
        )

    def mark_announced(self, order_id: str) -> None:
        """Note that the booking's outcome was published (one write unit, where an idempotency record
        would take two): a repeat of payment.captured then publishes nothing."""
        self._db.update_item(
            TableName=self._table,
            Key={"orderId": {"S": order_id}},
            UpdateExpression="SET outcomeAnnounced = :yes",
            ExpressionAttributeValues={":yes": {"BOOL": True}},
        )

    def note_destination(self, order_id: str, country: str, now: datetime) -> None:
        """Remember where a placed order goes; keeps whatever is already recorded."""
        self._write(
            {"orderId": {"S": order_id}, "status": {"S": ShipmentStatus.AWAITING_PAYMENT}, "country": {"S": country}},
            now,
            condition="attribute_not_exists(orderId)",
            ignore_if_exists=True,
        )

    def book(self, order_id: str, shipment_id: str, now: datetime) -> None:
        self._move(order_id, ShipmentStatus.AWAITING_PAYMENT, ShipmentStatus.SCHEDULED, now, shipment_id=shipment_id)

    def fail(self, order_id: str, now: datetime) -> None:
        self._move(order_id, ShipmentStatus.AWAITING_PAYMENT, ShipmentStatus.FAILED, now)

    def call_off(self, order_id: str, now: datetime) -> None:
        self._move(order_id, ShipmentStatus.SCHEDULED, ShipmentStatus.CANCELLED, now)

    def cancel_before_booking(self, shipment: Shipment | None, order_id: str, now: datetime) -> None:
        """Tombstone: the order is cancelled before anything was booked."""
        if shipment is None:
            self._write(
                {"orderId": {"S": order_id}, "status": {"S": ShipmentStatus.CANCELLED}},
                now,
                condition="attribute_not_exists(orderId)",
            )
        elif shipment.status is ShipmentStatus.AWAITING_PAYMENT:
            self._move(order_id, ShipmentStatus.AWAITING_PAYMENT, ShipmentStatus.CANCELLED, now)

    def _move(
        self,
        order_id: str,
        expected: ShipmentStatus,
        status: ShipmentStatus,
        now: datetime,
        shipment_id: str | None = None,
    ) -> None:
        values = {":s": {"S": status}, ":expected": {"S": expected}, ":now": {"S": now.isoformat()}}
        update = "SET #s = :s, updatedAt = :now"
        if shipment_id:
            update += ", shipmentId = :id"
            values[":id"] = {"S": shipment_id}
        try:
            self._db.update_item(
                TableName=self._table,
                Key={"orderId": {"S": order_id}},
                UpdateExpression=update,
                ConditionExpression="#s = :expected",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise ShipmentChanged(f"shipment for {order_id} is no longer {expected}") from error
            raise

    def _write(self, item: dict[str, Any], now: datetime, condition: str, ignore_if_exists: bool = False) -> None:
        try:
            self._db.put_item(
                TableName=self._table,
                Item={**item, "updatedAt": {"S": now.isoformat()}},
                ConditionExpression=condition,
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            if not ignore_if_exists:
                raise ShipmentChanged(f"shipment for {item['orderId']['S']} already exists") from error
