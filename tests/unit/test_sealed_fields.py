"""order.placed's encrypted fields: the one reader opens its field; another key, another order or
another field does not; KMS is asked once per data key, not once per order. KMS is moto's, in process
(it binds the encryption context as AWS does; who may use a key is the key policy's business, proven
in tests/infra/test_field_keys.py)."""

import base64
import copy
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from order.domain import Money, OrderLine, ShippingAddress, place_order
from order.events import order_placed
from saga_events import IntegrationEvent, InvalidEvent
from saga_events.sealing import (
    DATA_KEY_MAX_AGE_SECONDS,
    ENVELOPE,
    FieldOpener,
    FieldSealer,
    encryption_context,
)
from saga_events.validation import validate_event

from contracts.sealed import sealed_field

TOKEN = "tok_visa_sealed_unit"
ADDRESS = ShippingAddress("Ada Lovelace", "12 Sealed Street", "Berlin", "10115", "DE")
KEYS = {"payment": "alias/test/payment-fields", "shipping": "alias/test/shipping-fields"}


@pytest.fixture
def kms(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        client = boto3.client("kms")
        for alias in KEYS.values():
            client.create_alias(AliasName=alias, TargetKeyId=client.create_key()["KeyMetadata"]["KeyId"])
        yield client


def placed_v3(kms: object, sealer: FieldSealer | None = None) -> dict:
    order = place_order(
        str(uuid.uuid4()),
        "customer-ada",
        (OrderLine("MUG", 1, Money(1250, "EUR")),),
        TOKEN,
        ADDRESS,
        datetime(2026, 1, 1, tzinfo=UTC),
        time_allowed=timedelta(minutes=15),
    )
    [v3] = order_placed(order, "request-1", sealer or FieldSealer(kms, KEYS), source="saga.order")
    assert v3["dataschema"].rsplit("/", 1)[1] == "v3.json"
    validate_event(v3)
    return v3


def test_payment_reads_the_token_and_shipping_reads_the_address(kms):
    placed = IntegrationEvent.from_cloudevent(placed_v3(kms))

    assert FieldOpener(kms, KEYS["payment"]).open(placed, "encryptedPaymentMethodToken") == TOKEN
    assert FieldOpener(kms, KEYS["shipping"]).open(placed, "encryptedShippingAddress") == {
        "recipient": "Ada Lovelace",
        "line1": "12 Sealed Street",
        "city": "Berlin",
        "postalCode": "10115",
        "country": "DE",
    }


def test_neither_secret_is_in_the_published_events(kms):
    published = json.dumps(placed_v3(kms))
    assert TOKEN not in published and "12 Sealed Street" not in published and "Ada Lovelace" not in published


def test_another_contexts_key_does_not_open_the_field(kms):
    placed = IntegrationEvent.from_cloudevent(placed_v3(kms))
    # AWS answers IncorrectKeyException (InvalidEvent here), moto AccessDeniedException: refused either way.
    with pytest.raises((InvalidEvent, ClientError)):
        FieldOpener(kms, KEYS["shipping"]).open(placed, "encryptedPaymentMethodToken")


def test_a_ciphertext_copied_into_another_orders_event_does_not_open(kms):
    event = placed_v3(kms)
    other = copy.deepcopy(event)
    other["data"]["orderId"] = str(uuid.uuid4())

    with pytest.raises(InvalidEvent, match="does not decrypt for this order"):
        FieldOpener(kms, KEYS["payment"]).open(IntegrationEvent.from_cloudevent(other), "encryptedPaymentMethodToken")


def test_a_ciphertext_moved_to_another_field_does_not_open(kms):
    event = placed_v3(kms)
    # The token's ciphertext, encrypted for shipping's key but as the token's field: the context differs.
    order_id = event["data"]["orderId"]
    shipping = FieldSealer(kms, {"payment": KEYS["shipping"]})
    event["data"]["encryptedShippingAddress"] = shipping.seal(
        "order.placed", 3, "encryptedPaymentMethodToken", order_id, {}
    )

    with pytest.raises(InvalidEvent, match="does not decrypt"):
        FieldOpener(kms, KEYS["shipping"]).open(IntegrationEvent.from_cloudevent(event), "encryptedShippingAddress")


def test_a_decrypted_value_its_schema_refuses_is_invalid_and_not_quoted(kms):
    event = placed_v3(kms)
    order_id = event["data"]["orderId"]
    card_number = "4111111111111111"
    event["data"]["encryptedPaymentMethodToken"] = FieldSealer(kms, KEYS).seal(
        "order.placed", 3, "encryptedPaymentMethodToken", order_id, card_number
    )

    with pytest.raises(InvalidEvent, match="schema refuses") as refused:
        FieldOpener(kms, KEYS["payment"]).open(IntegrationEvent.from_cloudevent(event), "encryptedPaymentMethodToken")
    assert card_number not in str(refused.value)


def test_a_value_sealed_before_envelopes_still_opens_for_its_order_only(kms):
    """A bare KMS ciphertext bound to its order (in flight or archived across the change) is read."""
    event = placed_v3(kms)
    order_id = event["data"]["orderId"]
    blob = kms.encrypt(
        KeyId=KEYS["payment"],
        Plaintext=json.dumps(TOKEN).encode(),
        EncryptionContext=encryption_context("order.placed", "encryptedPaymentMethodToken", order_id),
    )["CiphertextBlob"]
    event["data"]["encryptedPaymentMethodToken"] = base64.b64encode(blob).decode()
    opener = FieldOpener(kms, KEYS["payment"])

    assert opener.open(IntegrationEvent.from_cloudevent(event), "encryptedPaymentMethodToken") == TOKEN
    event["data"]["orderId"] = str(uuid.uuid4())
    with pytest.raises(InvalidEvent, match="does not decrypt for this order"):
        opener.open(IntegrationEvent.from_cloudevent(event), "encryptedPaymentMethodToken")


def test_a_tampered_ciphertext_does_not_open(kms):
    event = placed_v3(kms)
    blob = bytearray(base64.b64decode(event["data"]["encryptedPaymentMethodToken"]))
    assert blob.startswith(ENVELOPE)
    blob[-1] ^= 1
    event["data"]["encryptedPaymentMethodToken"] = base64.b64encode(bytes(blob)).decode()

    with pytest.raises(InvalidEvent, match="does not decrypt"):
        FieldOpener(kms, KEYS["payment"]).open(IntegrationEvent.from_cloudevent(event), "encryptedPaymentMethodToken")


class CountingKms:
    """moto's KMS client, counting the requests made to it by operation."""

    def __init__(self, client: object) -> None:
        self._client = client
        self.exceptions = client.exceptions
        self.calls: dict[str, int] = {}

    def __getattr__(self, operation: str) -> object:
        method = getattr(self._client, operation)

        def call(**kwargs: object) -> object:
            self.calls[operation] = self.calls.get(operation, 0) + 1
            return method(**kwargs)

        return call


def test_kms_is_asked_once_per_data_key_not_once_per_order(kms):
    counting = CountingKms(kms)
    now = [0.0]
    sealer = FieldSealer(counting, KEYS, clock=lambda: now[0])
    payment, shipping = FieldOpener(counting, KEYS["payment"]), FieldOpener(counting, KEYS["shipping"])
    events = [placed_v3(kms, sealer) for _ in range(5)]
    for event in events:
        placed = IntegrationEvent.from_cloudevent(event)
        assert payment.open(placed, "encryptedPaymentMethodToken") == TOKEN
        assert shipping.open(placed, "encryptedShippingAddress")["line1"] == "12 Sealed Street"

    # One data key per field, made once and opened once by each reader, for five orders.
    assert counting.calls == {"generate_data_key": 2, "decrypt": 2}
    # Two orders never share a nonce, so never a ciphertext.
    assert len({e["data"]["encryptedPaymentMethodToken"] for e in events}) == 5

    now[0] += DATA_KEY_MAX_AGE_SECONDS
    later = IntegrationEvent.from_cloudevent(placed_v3(kms, sealer))
    assert payment.open(later, "encryptedPaymentMethodToken") == TOKEN
    # An old key is replaced at its age: a new data key, opened once more.
    assert counting.calls == {"generate_data_key": 4, "decrypt": 3}


def test_the_longest_address_the_schema_allows_seals_and_opens(kms):
    """The address at every field's maximum length, in characters of four UTF-8 bytes each, must
    still seal and open (and stay within the schema's maxLength for the sealed value)."""
    schema = sealed_field("order.placed", 3, "encryptedShippingAddress").plaintext_schema["properties"]
    longest = {name: "\U0001f4e6" * spec["maxLength"] for name, spec in schema.items() if "maxLength" in spec}
    address = {**longest, "country": "DE"}
    order_id = str(uuid.uuid4())
    sealed = FieldSealer(kms, KEYS).seal("order.placed", 3, "encryptedShippingAddress", order_id, address)
    event = placed_v3(kms)
    event["data"].update(orderId=order_id, correlationid=order_id, encryptedShippingAddress=sealed)
    validate_event(event)

    assert (
        FieldOpener(kms, KEYS["shipping"]).open(IntegrationEvent.from_cloudevent(event), "encryptedShippingAddress")
        == address
    )
