"""DynamoDB adapter for payments: one record per order, moved only along the domain's arrows.

Every write is conditional on the record being in one of `sources_of` the new state,
so the table itself refuses a move the domain would refuse: a cancellation and a
charge that race cannot both win, and the loser retries and sees the winner's state.

Item (hash key `orderId`): status, customerId, totalAmount, currency,
paymentMethodToken (only while INTENT or CHARGING), chargeId, refundId,
declineReason, updatedAt.
"""

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from payment.domain import (
    DeclineReason,
    Money,
    Payment,
    PaymentStatus,
    sources_of,
)


class PaymentChanged(RuntimeError):
    """The payment moved between our read and our write; retry the event and decide again."""


class PaymentStore:
    def __init__(self, dynamodb_client: Any, payments_table: str) -> None:
        self._db = dynamodb_client
        self._table = payments_table

    def payment(self, order_id: str) -> Payment | None:
        item = self._db.get_item(TableName=self._table, Key={"orderId": {"S": order_id}}, ConsistentRead=True).get(
            "Item"
        )
        return None if item is None else _payment_from_item(item)

    def record_intent(self, intent: Payment, now: datetime) -> bool:
        """False if the order already has a record: a redelivery, or a tombstone that must stay."""
        item = _item_from_payment(intent, now)
        try:
            self._db.put_item(TableName=self._table, Item=item, ConditionExpression="attribute_not_exists(orderId)")
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def record_cancellation(self, order_id: str, customer_id: str, now: datetime) -> None:
        """The tombstone that makes a late inventory.reserved charge nothing."""
        tombstone = Payment(order_id, PaymentStatus.CANCELLED, customer_id=customer_id)
        try:
            self._db.put_item(
                TableName=self._table,
                Item=_item_from_payment(tombstone, now),
                ConditionExpression="attribute_not_exists(orderId)",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise PaymentChanged("order.placed arrived while we were cancelling") from error
            raise

    def cancel_intent(self, order_id: str, now: datetime) -> None:
        self._move(order_id, PaymentStatus.CANCELLED, now, remove_token=True)

    def begin_charge(self, order_id: str, now: datetime) -> None:
        """Mark the charge in flight before calling the gateway, so a cancellation waits for it."""
        self._move(order_id, PaymentStatus.CHARGING, now)

    def record_capture(self, order_id: str, charge_id: str, now: datetime) -> None:
        self._move(order_id, PaymentStatus.CAPTURED, now, {"chargeId": {"S": charge_id}}, remove_token=True)

    def record_decline(self, order_id: str, reason: DeclineReason, now: datetime) -> None:
        self._move(order_id, PaymentStatus.DECLINED, now, {"declineReason": {"S": reason}}, remove_token=True)

    def record_refund(self, order_id: str, refund_id: str, now: datetime) -> None:
        self._move(order_id, PaymentStatus.REFUNDED, now, {"refundId": {"S": refund_id}})

    def _move(
        self,
        order_id: str,
        target: PaymentStatus,
        now: datetime,
        values: dict[str, dict[str, str]] | None = None,
        *,
        remove_token: bool = False,
    ) -> None:
        sources = sorted(status for status in sources_of(target) if status is not None)
        attributes = {":target": {"S": target}, ":now": {"S": now.isoformat()}}
        attributes |= {f":from{i}": {"S": status} for i, status in enumerate(sources)}
        assignments = ["#s = :target", "updatedAt = :now"]
        for i, (name, value) in enumerate((values or {}).items()):
            assignments.append(f"{name} = :v{i}")
            attributes[f":v{i}"] = value
        update = "SET " + ", ".join(assignments)
        if remove_token:
            # The token is only needed to charge; once settled or cancelled we keep no more than we need.
            update += " REMOVE paymentMethodToken"
        try:
            self._db.update_item(
                TableName=self._table,
                Key={"orderId": {"S": order_id}},
                UpdateExpression=update,
                ConditionExpression=f"#s IN ({', '.join(f':from{i}' for i in range(len(sources)))})",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues=attributes,
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise PaymentChanged(f"payment for {order_id} can no longer move to {target}") from error
            raise


def _item_from_payment(payment: Payment, now: datetime) -> dict[str, Any]:
    item: dict[str, Any] = {
        "orderId": {"S": payment.order_id},
        "status": {"S": payment.status},
        "updatedAt": {"S": now.isoformat()},
    }
    if payment.customer_id:
        item["customerId"] = {"S": payment.customer_id}
    if payment.total is not None:
        item["totalAmount"] = {"N": str(payment.total.amount)}
        item["currency"] = {"S": payment.total.currency}
    if payment.payment_method_token is not None:
        item["paymentMethodToken"] = {"S": payment.payment_method_token}
    return item


def _payment_from_item(item: dict[str, Any]) -> Payment:
    total = None
    if "totalAmount" in item:
        total = Money(int(item["totalAmount"]["N"]), item["currency"]["S"])
    return Payment(
        order_id=item["orderId"]["S"],
        status=PaymentStatus(item["status"]["S"]),
        customer_id=item.get("customerId", {}).get("S", ""),
        total=total,
        payment_method_token=item.get("paymentMethodToken", {}).get("S"),
        charge_id=item.get("chargeId", {}).get("S"),
        refund_id=item.get("refundId", {}).get("S"),
        decline_reason=DeclineReason(item["declineReason"]["S"]) if "declineReason" in item else None,
    )
