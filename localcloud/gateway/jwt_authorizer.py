"""API Gateway's JWT authorizer for HTTP APIs, as AWS documents it: the token from the identity
source, its signature against the issuer's JWKS (RSA only), then `iss`, `aud` (or `client_id`
when there is no `aud`), `exp`, `nbf`, `iat` and the route's scopes. A request that fails gets
401 (403 for missing scopes) and never reaches the function; one that passes carries the claims
in `requestContext.authorizer.jwt`."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

_RSA_ALGORITHMS = ["RS256", "RS384", "RS512"]
# How long a key set is trusted before it is fetched again (API Gateway caches JWKS for a while too).
_KEYS_TTL_SECONDS = 3600.0


class Refused(Exception):
    """Why a request was not let through: its status, and API Gateway's WWW-Authenticate header."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.www_authenticate = (
            f'Bearer scope="{reason}" error="insufficient_scope"'
            if status == 403
            else f'Bearer error="invalid_token" error_description="{reason}"'
        )


@dataclass(frozen=True)
class JwtRequirement:
    """One route's authorizer: whose tokens, for which audiences, where in the request, which scopes."""

    issuer: str
    audiences: tuple[str, ...]
    identity_source: str
    scopes: tuple[str, ...] = ()


class KeyCache:
    """Each issuer's key set, fetched when first needed and again when a token names an unknown key."""

    def __init__(self, locate: Callable[[str], str], fetch: Callable[[str], dict[str, Any]]) -> None:
        self._locate = locate
        self._fetch = fetch
        self._lock = threading.Lock()
        self._keys: dict[str, tuple[float, KeySet]] = {}

    def keys(self, issuer: str, kid: str | None) -> KeySet:
        with self._lock:
            cached = self._keys.get(issuer)
            fresh = cached is not None and time.monotonic() - cached[0] < _KEYS_TTL_SECONDS
            if cached is not None and fresh and (kid is None or _has_kid(cached[1], kid)):
                return cached[1]
            key_set = KeySet.import_key_set(self._fetch(self._locate(issuer)))
            self._keys[issuer] = (time.monotonic(), key_set)
            return key_set


def _has_kid(key_set: KeySet, kid: str) -> bool:
    return any(key.kid == kid for key in key_set.keys)


def authorize(
    requirement: JwtRequirement, headers: dict[str, str], keys: KeyCache, now: float | None = None
) -> dict[str, Any]:
    """The `requestContext.authorizer` of a request the authorizer lets through, else Refused."""
    token = _token(requirement.identity_source, headers)
    try:
        header = json.loads(_b64(token.split(".")[0]))
        kid = header.get("kid") if isinstance(header, dict) else None
        decoded = jwt.decode(token, keys.keys(requirement.issuer, kid), algorithms=_RSA_ALGORITHMS)
    except (JoseError, ValueError, IndexError) as error:
        raise Refused(401, f"the token is not valid: {type(error).__name__}") from error
    claims = decoded.claims
    moment = time.time() if now is None else now
    if claims.get("iss") != requirement.issuer:
        raise Refused(401, "the token's issuer is not the authorizer's")
    audiences = claims["aud"] if "aud" in claims else claims.get("client_id")
    audiences = audiences if isinstance(audiences, list) else [audiences]
    if not set(audiences) & set(requirement.audiences):
        raise Refused(401, "the token is not for this API's audience")
    if not isinstance(claims.get("exp"), int | float) or claims["exp"] <= moment:
        raise Refused(401, "the token has expired")
    for early in ("nbf", "iat"):
        if early in claims and (not isinstance(claims[early], int | float) or claims[early] > moment):
            raise Refused(401, f"the token's {early} is in the future")
    granted = _scopes(claims)
    if requirement.scopes and not set(granted) & set(requirement.scopes):
        raise Refused(403, " ".join(requirement.scopes))
    return {"jwt": {"claims": {name: _as_claim(value) for name, value in claims.items()}, "scopes": granted or None}}


def _token(identity_source: str, headers: dict[str, str]) -> str:
    name = identity_source.removeprefix("$request.header.").lower()
    value = headers.get(name, "").strip()
    # API Gateway takes the token with or without the "Bearer " scheme.
    if value[:7].lower() == "bearer ":
        value = value[7:].strip()
    if not value:
        raise Refused(401, "no token")
    return value


def _scopes(claims: dict[str, Any]) -> list[str]:
    scope = claims.get("scope", claims.get("scp"))
    if isinstance(scope, str):
        return scope.split()
    return [str(s) for s in scope] if isinstance(scope, list) else []


def _as_claim(value: Any) -> str:
    # API Gateway hands every claim to the function as a string; arrays as "[a b]".
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + " ".join(_as_claim(v) for v in value) + "]"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value)


def _b64(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
