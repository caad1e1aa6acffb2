"""Fields only one context may read: encrypted by the producer for that context's KMS key,
decrypted by that context alone.

Which field is for whom is the schema's `x-encrypted-for` (contracts/sealed.py). Values are sealed
with envelope encryption, as AWS recommends for many small values: the producer asks KMS for a data
key (GenerateDataKey under the reader's field key) once per instance, event field and key age, seals
each value locally with AES-256-GCM, and carries that data key, encrypted by KMS, in the sealed
value. The reader asks KMS to decrypt each encrypted data key it meets once per instance and opens
locally. KMS then sees a request per data key, not one per value: a warm order costs no KMS request.

Two bindings, each where it can hold:
- the data key's encryption context names the event type and field: the key policy admits only the
  reader's role to decrypt it, and only for its fields (components/policies.py);
- the value's AES-GCM associated data names the event type, field and order: a ciphertext copied
  into another order's event, or into another field, does not open.

A value sealed before envelopes (a bare KMS ciphertext, encryption context bound to the order)
still opens, so events in flight or replayed from the archive across the change are read.
"""

import base64
import json
import os
import struct
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import jsonschema_rs

from contracts.sealed import sealed_field
from saga_events.errors import InvalidEvent
from saga_events.events import IntegrationEvent

# The producer's function: {"<reader context>": "<its field key's alias>", ...}.
SEALED_FIELD_KEYS = "SEALED_FIELD_KEYS"
# A reader's function: its own context's field key.
FIELD_KEY = "FIELD_KEY"

# A sealed value: ENVELOPE | length of the encrypted data key (2 bytes) | encrypted data key (KMS's
# CiphertextBlob, which names the key it was made under) | nonce (12 bytes) | AES-GCM ciphertext and tag.
ENVELOPE = b"\x00SF2"
_NONCE_BYTES = 12
# How long and how often one data key seals. Random 96-bit nonces stay far below AES-GCM's 2^32
# messages per key; the age bounds what one leaked data key would expose (at most this long of one
# producer instance's values for one field) and how long a disabled key keeps being used.
DATA_KEY_MAX_AGE_SECONDS = 15 * 60
DATA_KEY_MAX_USES = 100_000
# Encrypted data keys a reader instance keeps open: producers' instances times their key ages.
_OPENED_KEYS_KEPT = 256


def encryption_context(event_type: str, field: str, order_id: str) -> dict[str, str]:
    """The associated data a value is sealed with: its event type, field and order."""
    return {"event": event_type, "field": field, "orderId": order_id}


def data_key_context(event_type: str, field: str) -> dict[str, str]:
    """The KMS encryption context of a field's data key (a data key seals many orders' values)."""
    return {"event": event_type, "field": field}


def _associated_data(event_type: str, field: str, order_id: str) -> bytes:
    return json.dumps(encryption_context(event_type, field, order_id), sort_keys=True).encode()


@dataclass
class _DataKey:
    cipher: Any  # cryptography's AESGCM over the plaintext data key
    encrypted: bytes
    made_at: float
    uses: int = 0


class FieldSealer:
    """The producer's side: encrypts each marked field for its one reader."""

    def __init__(self, kms: Any, keys: Mapping[str, str], clock: Callable[[], float] = time.monotonic) -> None:
        self._kms = kms
        self._keys = dict(keys)
        self._clock = clock
        self._data_keys: dict[tuple[str, str, str], _DataKey] = {}

    @classmethod
    def from_environment(cls, kms: Any) -> "FieldSealer":
        return cls(kms, json.loads(os.environ.get(SEALED_FIELD_KEYS, "{}")))

    def seal(self, event_type: str, version: int, field: str, order_id: str, value: Any) -> str:
        reader = sealed_field(event_type, version, field).reader
        data_key = self._data_key(self._keys[reader], event_type, field)
        nonce = os.urandom(_NONCE_BYTES)
        plaintext = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        sealed = data_key.cipher.encrypt(nonce, plaintext, _associated_data(event_type, field, order_id))
        envelope = ENVELOPE + struct.pack(">H", len(data_key.encrypted)) + data_key.encrypted + nonce + sealed
        return base64.b64encode(envelope).decode("ascii")

    def _data_key(self, key_id: str, event_type: str, field: str) -> _DataKey:
        slot = (key_id, event_type, field)
        data_key = self._data_keys.get(slot)
        now = self._clock()
        if data_key is None or now - data_key.made_at >= DATA_KEY_MAX_AGE_SECONDS or data_key.uses >= DATA_KEY_MAX_USES:
            # Imported here, not at module import: a handler's cold start does not pay for it.
            from cryptography.hazmat.primitives.ciphers.aead import AESGCM

            made = self._kms.generate_data_key(
                KeyId=key_id, KeySpec="AES_256", EncryptionContext=data_key_context(event_type, field)
            )
            data_key = _DataKey(AESGCM(made["Plaintext"]), made["CiphertextBlob"], now)
            self._data_keys[slot] = data_key
        data_key.uses += 1
        return data_key


class FieldOpener:
    """A reader's side: decrypts the fields encrypted for its context, and checks what it gets."""

    def __init__(self, kms: Any, key_id: str) -> None:
        self._kms = kms
        self._key_id = key_id
        self._opened: dict[tuple[bytes, str, str], Any] = {}

    @classmethod
    def from_environment(cls, kms: Any) -> "FieldOpener":
        return cls(kms, os.environ[FIELD_KEY])

    def open(self, event: IntegrationEvent, field: str) -> Any:
        """The plaintext of `event.data[field]`; InvalidEvent if it is not ours to read or was tampered with.

        Any other KMS error (throttling, access denied after a bad deploy) propagates, so the
        message is retried rather than dead-lettered.
        """
        try:
            blob = base64.b64decode(event.data[field], validate=True)
        except ValueError as error:
            raise InvalidEvent(f"{event.type} {field} is not base64") from error
        order_id = event.data["orderId"]
        if blob.startswith(ENVELOPE):
            plaintext = self._open_envelope(blob, event.type, field, order_id)
        else:
            plaintext = self._kms_decrypt(blob, encryption_context(event.type, field, order_id), event.type, field)
        value = json.loads(plaintext)
        problem = next(_plaintext_validator(event.type, event.version, field).iter_errors(value), None)
        if problem is not None:
            # Where, never what: the message would quote the secret.
            where = "/".join(str(part) for part in problem.instance_path) or "(root)"
            raise InvalidEvent(f"{event.type} {field} decrypts to a value its schema refuses, at {where}")
        return value

    def _open_envelope(self, blob: bytes, event_type: str, field: str, order_id: str) -> bytes:
        start = len(ENVELOPE) + 2
        if len(blob) < start:
            raise InvalidEvent(f"{event_type} {field} is not a sealed value")
        (key_length,) = struct.unpack(">H", blob[len(ENVELOPE) : start])
        encrypted_key, rest = blob[start : start + key_length], blob[start + key_length :]
        if len(encrypted_key) != key_length or len(rest) <= _NONCE_BYTES:
            raise InvalidEvent(f"{event_type} {field} is not a sealed value")
        cipher = self._cipher(encrypted_key, event_type, field)
        from cryptography.exceptions import InvalidTag

        nonce, sealed = rest[:_NONCE_BYTES], rest[_NONCE_BYTES:]
        try:
            return cipher.decrypt(nonce, sealed, _associated_data(event_type, field, order_id))
        except InvalidTag as error:
            raise InvalidEvent(f"{event_type} {field} does not decrypt for this order") from error

    def _cipher(self, encrypted_key: bytes, event_type: str, field: str) -> Any:
        slot = (encrypted_key, event_type, field)
        cipher = self._opened.get(slot)
        if cipher is None:
            from cryptography.hazmat.primitives.ciphers.aead import AESGCM

            data_key = self._kms_decrypt(encrypted_key, data_key_context(event_type, field), event_type, field)
            cipher = AESGCM(data_key)
            if len(self._opened) >= _OPENED_KEYS_KEPT:
                self._opened.pop(next(iter(self._opened)))  # the oldest: producers rotate their keys
            self._opened[slot] = cipher
        return cipher

    def _kms_decrypt(self, blob: bytes, context: dict[str, str], event_type: str, field: str) -> bytes:
        try:
            return self._kms.decrypt(
                # Naming the key: KMS refuses a ciphertext made under any other key.
                KeyId=self._key_id,
                CiphertextBlob=blob,
                EncryptionContext=context,
            )["Plaintext"]
        except self._kms.exceptions.InvalidCiphertextException as error:
            raise InvalidEvent(f"{event_type} {field} does not decrypt for this order: {error}") from error
        except self._kms.exceptions.IncorrectKeyException as error:
            raise InvalidEvent(f"{event_type} {field} is encrypted under another key") from error


@cache
def _plaintext_validator(event_type: str, version: int, field: str) -> jsonschema_rs.Validator:
    return jsonschema_rs.validator_for(sealed_field(event_type, version, field).plaintext_schema)
