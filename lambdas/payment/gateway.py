"""A simulated card gateway: deterministic, idempotent by key, its state in its own table.

The table stands in for the provider's side, so it behaves as Stripe-like providers do:
the same idempotency key always answers with the first settled outcome and never
charges twice. Tokens drive every path the saga must survive:

- `tok_declined` → Declined
- `tok_flaky`    → the first attempt for a key raises GatewayUnavailable, later ones capture
- `tok_unreachable` → every charge attempt times out before the provider charges (nothing taken)
- `tok_unanswered`  → the provider captures at the first attempt, but every answer is lost
- any other `tok_…` → Captured

The last two leave a payment CHARGING after every retry: only asking the provider later (`look_up`,
`void`) tells what happened. A void settles a key that never completed as VOIDED, so no later
attempt with that key can charge; a key already settled keeps its outcome.

Items (hash key `chargeKey`):
- `key#<idempotency key>`: state ATTEMPTED | CAPTURED | DECLINED | VOIDED, chargeId when captured,
  failedAt when an attempt failed transiently (kept once the key settles: the provider's log of attempts)
- `charge#<charge id>`:    state CAPTURED | REFUNDED, amount, currency, refundId when refunded
"""

import re
import uuid
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from payment.domain import Captured, Declined, DeclineReason, Money, Voided

DECLINING_TOKEN = "tok_declined"
FLAKY_TOKEN = "tok_flaky"
UNREACHABLE_TOKEN = "tok_unreachable"
UNANSWERED_TOKEN = "tok_unanswered"
_TOKEN = re.compile(r"^tok_")
# Charge and refund ids derive from what they answer, so a replay yields the same id.
_ID_NAMESPACE = uuid.UUID("0b8f6a3e-5c2d-4e1f-8a7b-9c6d5e4f3a21")


class GatewayUnavailable(RuntimeError):
    """A transient provider error or a lost answer: asking again with the same key is safe (the key
    never charges twice), and asking later what became of the key (`look_up`) tells."""


class UnknownCharge(LookupError):
    """A refund for a charge the provider never made: a bug on our side, not a retryable error."""


class SimulatedGateway:
    def __init__(self, dynamodb_client: Any, table: str) -> None:
        self._db = dynamodb_client
        self._table = table

    def charge(self, idempotency_key: str, token: str, amount: Money) -> Captured | Declined | Voided:
        earlier = self._settled(idempotency_key)
        if earlier is not None:
            if token == UNANSWERED_TOKEN and isinstance(earlier, Captured):
                raise GatewayUnavailable("the gateway timed out (the charge went through; its answer was lost)")
            return earlier
        if token == UNREACHABLE_TOKEN:
            self._first_attempt(idempotency_key)
            raise GatewayUnavailable("the gateway timed out; nothing was charged")
        if token == FLAKY_TOKEN and self._first_attempt(idempotency_key):
            raise GatewayUnavailable("the gateway timed out; nothing was charged")
        if token == DECLINING_TOKEN or not _TOKEN.match(token):
            return self._settle(idempotency_key, Declined(DeclineReason.CARD_DECLINED), amount)
        charge_id = f"ch_{uuid.uuid5(_ID_NAMESPACE, idempotency_key).hex}"
        outcome = self._settle(idempotency_key, Captured(charge_id), amount)
        if token == UNANSWERED_TOKEN and isinstance(outcome, Captured):
            raise GatewayUnavailable("the gateway timed out (the charge went through; its answer was lost)")
        return outcome

    def look_up(self, idempotency_key: str) -> Captured | Declined | Voided | None:
        """What became of the key's charge: its settled outcome, or None while nothing completed."""
        return self._settled(idempotency_key)

    def void(self, idempotency_key: str) -> Captured | Declined | Voided:
        """Make sure nothing completes for the key from now on. A key that settled first keeps its
        outcome, which is the answer (a capture is then refunded, never voided); voiding twice is
        one void."""
        try:
            self._db.update_item(
                TableName=self._table,
                Key={"chargeKey": {"S": f"key#{idempotency_key}"}},
                UpdateExpression="SET #s = :voided, settledAt = :now",
                # The settle's own condition: whichever writes first decides the key.
                ConditionExpression="attribute_not_exists(chargeKey) OR #s = :attempted",
                ExpressionAttributeNames={"#s": "state"},
                ExpressionAttributeValues={
                    ":voided": {"S": "VOIDED"},
                    ":attempted": {"S": "ATTEMPTED"},
                    ":now": {"S": _now()},
                },
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            settled = self._settled(idempotency_key)
            assert settled is not None, "a key that refused the void has settled"
            return settled
        return Voided()

    def refund(self, charge_id: str) -> str:
        """The refund id; refunding the same charge again returns the first refund."""
        refund_id = f"re_{uuid.uuid5(_ID_NAMESPACE, charge_id).hex}"
        try:
            self._db.update_item(
                TableName=self._table,
                Key={"chargeKey": {"S": f"charge#{charge_id}"}},
                UpdateExpression="SET #s = :refunded, refundId = :r, refundedAt = :now",
                ConditionExpression="#s = :captured",
                ExpressionAttributeNames={"#s": "state"},
                ExpressionAttributeValues={
                    ":refunded": {"S": "REFUNDED"},
                    ":captured": {"S": "CAPTURED"},
                    ":r": {"S": refund_id},
                    ":now": {"S": _now()},
                },
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            charge = self._item(f"charge#{charge_id}")
            if charge is None:
                raise UnknownCharge(f"no charge {charge_id}") from error
            return charge["refundId"]["S"]
        return refund_id

    def _settled(self, idempotency_key: str) -> Captured | Declined | Voided | None:
        item = self._item(f"key#{idempotency_key}")
        if item is None:
            return None
        state = item["state"]["S"]
        if state == "CAPTURED":
            return Captured(item["chargeId"]["S"])
        if state == "DECLINED":
            return Declined(DeclineReason(item["declineReason"]["S"]))
        if state == "VOIDED":
            return Voided()
        return None

    def _first_attempt(self, idempotency_key: str) -> bool:
        """Record the first attempt for the key, which fails; true only for that one."""
        try:
            self._db.put_item(
                TableName=self._table,
                Item={
                    "chargeKey": {"S": f"key#{idempotency_key}"},
                    "state": {"S": "ATTEMPTED"},
                    "failedAt": {"S": _now()},
                },
                ConditionExpression="attribute_not_exists(chargeKey)",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def _settle(
        self, idempotency_key: str, outcome: Captured | Declined, amount: Money
    ) -> Captured | Declined | Voided:
        """Write the key's outcome (and the charge) once; a concurrent settler's outcome wins."""
        now = _now()
        writes: list[dict[str, Any]] = []
        if isinstance(outcome, Captured):
            state, detail = "CAPTURED", ("chargeId", outcome.charge_id)
            writes.append(
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": {
                            "chargeKey": {"S": f"charge#{outcome.charge_id}"},
                            "state": {"S": "CAPTURED"},
                            "idempotencyKey": {"S": idempotency_key},
                            "amount": {"N": str(amount.amount)},
                            "currency": {"S": amount.currency},
                            "capturedAt": {"S": now},
                        },
                        "ConditionExpression": "attribute_not_exists(chargeKey)",
                    }
                }
            )
        else:
            state, detail = "DECLINED", ("declineReason", outcome.reason)
        writes.append(
            {
                # An update, not a put: the record of a failed attempt stays with the settled key.
                "Update": {
                    "TableName": self._table,
                    "Key": {"chargeKey": {"S": f"key#{idempotency_key}"}},
                    "UpdateExpression": "SET #s = :state, settledAt = :now, #detail = :detail",
                    "ConditionExpression": "attribute_not_exists(chargeKey) OR #s = :attempted",
                    "ExpressionAttributeNames": {"#s": "state", "#detail": detail[0]},
                    "ExpressionAttributeValues": {
                        ":state": {"S": state},
                        ":now": {"S": now},
                        ":detail": {"S": detail[1]},
                        ":attempted": {"S": "ATTEMPTED"},
                    },
                }
            }
        )
        try:
            self._db.transact_write_items(TransactItems=writes)
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            earlier = self._settled(idempotency_key)
            if earlier is None:
                raise GatewayUnavailable("the gateway could not settle the charge; nothing was charged") from error
            return earlier
        return outcome

    def _item(self, charge_key: str) -> dict[str, Any] | None:
        return self._db.get_item(TableName=self._table, Key={"chargeKey": {"S": charge_key}}, ConsistentRead=True).get(
            "Item"
        )


def _now() -> str:
    return datetime.now(UTC).isoformat()
