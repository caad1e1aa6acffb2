"""Signing customers in to the stack's Cognito user pool, as the shop and its customers would.

A customer is named by the caller ("customer-ada"); the first time a name is used, the shop (an
operator, with AWS credentials) creates that user in the pool, if it is not there yet, and sets
the password this client holds (random unless given); the customer then signs in with
USER_PASSWORD_AUTH, as an app would, and gets an access token. The order's customer id is the
token's subject (Cognito's `sub`), not the name.
"""

from __future__ import annotations

import base64
import contextlib
import json
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

# Tokens are renewed this long before they expire.
_RENEW_BEFORE_SECONDS = 60.0


@dataclass(frozen=True)
class SignedIn:
    access_token: str
    subject: str
    expires_at: float


class Customers:
    def __init__(self, cognito: Any, user_pool_id: str, client_id: str, password: str | None = None) -> None:
        self._cognito = cognito
        # Meets the pool's policy: upper and lower case, digits, at least 12 characters.
        self.password = password or f"Saga-{secrets.token_hex(12)}-9x"
        self._pool = user_pool_id
        self._client = client_id
        self._lock = threading.Lock()
        self._signed_in: dict[str, SignedIn] = {}
        # One lock per name, so customers sign in concurrently but each only once.
        self._name_locks: dict[str, threading.Lock] = {}

    def token(self, name: str) -> str:
        return self._session(name).access_token

    def customer_id(self, name: str) -> str:
        """The customer id orders of this customer carry (the token's subject)."""
        return self._session(name).subject

    def _session(self, name: str) -> SignedIn:
        with self._lock:
            name_lock = self._name_locks.setdefault(name, threading.Lock())
        with name_lock:
            current = self._signed_in.get(name)
            if current is None or current.expires_at - _RENEW_BEFORE_SECONDS < time.time():
                current = self._sign_in(name)
                self._signed_in[name] = current
            return current

    def _sign_in(self, name: str) -> SignedIn:
        with contextlib.suppress(self._cognito.exceptions.UsernameExistsException):
            self._cognito.admin_create_user(UserPoolId=self._pool, Username=name, MessageAction="SUPPRESS")
        # Permanent, so the first sign-in is not asked for a new password.
        self._cognito.admin_set_user_password(
            UserPoolId=self._pool, Username=name, Password=self.password, Permanent=True
        )
        result = self._cognito.initiate_auth(
            ClientId=self._client,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": name, "PASSWORD": self.password},
        )["AuthenticationResult"]
        token = result["AccessToken"]
        return SignedIn(token, _unverified_claims(token)["sub"], time.time() + float(result["ExpiresIn"]))


def _unverified_claims(token: str) -> dict[str, Any]:
    # Our own token, just issued over TLS by the pool: reading its subject needs no verification.
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
