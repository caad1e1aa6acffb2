"""Fields only one context may read: encrypted by the producer for that context's KMS key,
decrypted by that context alone.

Which field is for whom is the schema's `x-encrypted-for` (contracts/sealed.py). Each value is
encrypted with KMS Encrypt directly (a token or an address, as UTF-8 JSON, stays within its 4 KB), under an
encryption context that binds the ciphertext to its event type, field and order: a ciphertext
copied into another order's event, or into another field, does not decrypt. The key policy
admits only the reader's role to Decrypt, and only with such a context.
"""

import base64
import json
import os
from collections.abc import Mapping
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


def encryption_context(event_type: str, field: str, order_id: str) -> dict[str, str]:
    return {"event": event_type, "field": field, "orderId": order_id}


class FieldSealer:
    """The producer's side: encrypts each marked field for its one reader."""

    def __init__(self, kms: Any, keys: Mapping[str, str]) -> None:
        self._kms = kms
        self._keys = dict(keys)

    @classmethod
    def from_environment(cls, kms: Any) -> "FieldSealer":
        return cls(kms, json.loads(os.environ.get(SEALED_FIELD_KEYS, "{}")))

    def seal(self, event_type: str, version: int, field: str, order_id: str, value: Any) -> str:
        reader = sealed_field(event_type, version, field).reader
        blob = self._kms.encrypt(
            KeyId=self._keys[reader],
            # UTF-8, not \u escapes: the longest address the schema allows then stays within the
            # 4 KB that KMS Encrypt takes (escaped, one astral character costs 12 bytes, not 4).
            Plaintext=json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8"),
            EncryptionContext=encryption_context(event_type, field, order_id),
        )["CiphertextBlob"]
        return base64.b64encode(blob).decode("ascii")


class FieldOpener:
    """A reader's side: decrypts the fields encrypted for its context, and checks what it gets."""

    def __init__(self, kms: Any, key_id: str) -> None:
        self._kms = kms
        self._key_id = key_id

    @classmethod
    def from_environment(cls, kms: Any) -> "FieldOpener":
        return cls(kms, os.environ[FIELD_KEY])

    def open(self, event: IntegrationEvent, field: str) -> Any:
        """The plaintext of `event.data[field]`; InvalidEvent if it is not ours to read or was tampered with.

        Any other KMS error (throttling, access denied after a bad deploy) propagates, so the
        message is retried rather than dead-lettered.
        """
        try:
            plaintext = self._kms.decrypt(
                # Naming the key: KMS refuses a ciphertext made under any other key.
                KeyId=self._key_id,
                CiphertextBlob=base64.b64decode(event.data[field], validate=True),
                EncryptionContext=encryption_context(event.type, field, event.data["orderId"]),
            )["Plaintext"]
        except self._kms.exceptions.InvalidCiphertextException as error:
            raise InvalidEvent(f"{event.type} {field} does not decrypt for this order: {error}") from error
        except self._kms.exceptions.IncorrectKeyException as error:
            raise InvalidEvent(f"{event.type} {field} is encrypted under another key") from error
        value = json.loads(plaintext)
        problem = next(_plaintext_validator(event.type, event.version, field).iter_errors(value), None)
        if problem is not None:
            # Where, never what: the message would quote the secret.
            where = "/".join(str(part) for part in problem.instance_path) or "(root)"
            raise InvalidEvent(f"{event.type} {field} decrypts to a value its schema refuses, at {where}")
        return value


@cache
def _plaintext_validator(event_type: str, version: int, field: str) -> jsonschema_rs.Validator:
    return jsonschema_rs.validator_for(sealed_field(event_type, version, field).plaintext_schema)
