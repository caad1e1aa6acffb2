"""KMS key pairs, generated when first used.

moto's `Key.__init__` generates an RSA-2048 private key for every key it creates, symmetric
ones included (its `generate_private_key` falls back to RSA 2048 for SYMMETRIC_DEFAULT):
about 40 ms of CPU a key, paid by every deploy and every test that makes a field key, though
only the asymmetric operations (Sign, Verify, GetPublicKey) ever read it. The key pair is made
on first use instead: the same key, only later. Unlike the other patches this one changes no
behaviour, so the in-process moto of the tests applies it too (tests/harness/cloud.py).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from localcloud.emulator.patches.moto_shape import is_patched, mark_patched, require, require_source


class KeyPairOnFirstUse:
    """Stands in for moto's private key object; makes the real one at the first attribute read."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self._make = make
        self._key: Any = None
        self._lock = threading.Lock()

    @property
    def made(self) -> bool:
        return self._key is not None

    def __getattr__(self, name: str) -> Any:
        # Only reached for attributes this class lacks, i.e. the real key's.
        with self._lock:
            if self._key is None:
                self._key = self._make()
        return getattr(self._key, name)


def apply() -> None:
    from moto.kms import models

    original = models.generate_private_key
    if is_patched(original):
        return
    require_source(models.Key.__init__, "kms_key_pairs_on_first_use", "self.private_key = generate_private_key(")

    def generate_private_key(key_spec: str) -> KeyPairOnFirstUse:
        return KeyPairOnFirstUse(lambda: original(key_spec))

    models.generate_private_key = mark_patched(generate_private_key)
    require(is_patched(models.generate_private_key), "kms_key_pairs_on_first_use", "could not be replaced")
