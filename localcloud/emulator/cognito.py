"""Where the keys of a token issuer are, seen from the embedded cloud.

A Cognito user pool's issuer is `https://cognito-idp.<region>.amazonaws.com/<pool id>`; the pool
lives in our moto server, which serves its keys at `/<pool id>/.well-known/jwks.json`. Any other
issuer publishes them the OpenID Connect way.
"""

from __future__ import annotations

import json
import re
import urllib.request
from typing import Any

_COGNITO_ISSUER = re.compile(r"^https://cognito-idp\.[a-z0-9-]+\.amazonaws\.com/(?P<pool>[\w-]+)/?$")


def jwks_url(issuer: str, endpoint_url: str) -> str:
    pool = _COGNITO_ISSUER.match(issuer)
    if pool:
        return f"{endpoint_url.rstrip('/')}/{pool.group('pool')}/.well-known/jwks.json"
    discovery = _get_json(f"{issuer.rstrip('/')}/.well-known/openid-configuration")
    return str(discovery["jwks_uri"])


def key_set(url: str) -> dict[str, Any]:
    return _get_json(url)


def _get_json(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())
