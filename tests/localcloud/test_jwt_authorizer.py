"""The local gateway's JWT authorizer checks what API Gateway's does, in its order, with no network."""

import time

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from localcloud.gateway.jwt_authorizer import JwtRequirement, KeyCache, Refused, authorize

ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_pool"
REQUIREMENT = JwtRequirement(ISSUER, ("client-1",), "$request.header.Authorization")


class Issuer:
    """An issuer whose keys can rotate; counts how often its key set was fetched."""

    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
        self.fetches = 0

    def key_set(self, url: str) -> dict:
        self.fetches += 1
        return {"keys": [self.key.as_dict(private=False)]}

    def token(self, **overrides) -> str:
        now = int(time.time())
        claims = {"iss": ISSUER, "sub": "sub-1", "client_id": "client-1", "token_use": "access", "iat": now}
        # "in N s" is a time from now, read when the token is made (not when the test is collected).
        overrides = {k: now + int(v.split()[1]) if str(v).startswith("in ") else v for k, v in overrides.items()}
        claims |= {"exp": now + 600, **overrides}
        claims = {k: v for k, v in claims.items() if v is not None}
        return jwt.encode({"kid": self.key.kid, "alg": "RS256"}, claims, self.key)


@pytest.fixture
def issuer():
    return Issuer()


def check(issuer, token, requirement=REQUIREMENT, scheme="Bearer "):
    keys = KeyCache(lambda found: f"jwks of {found}", issuer.key_set)
    return authorize(requirement, {"authorization": f"{scheme}{token}"}, keys)


def test_a_valid_token_passes_with_its_claims_as_strings(issuer):
    context = check(issuer, issuer.token(scope="orders/read orders/write"))
    claims = context["jwt"]["claims"]
    assert claims["sub"] == "sub-1" and isinstance(claims["exp"], str)
    assert context["jwt"]["scopes"] == ["orders/read", "orders/write"]


@pytest.mark.parametrize("scheme", ["Bearer ", "bearer ", ""])
def test_the_token_is_taken_with_or_without_the_bearer_scheme(issuer, scheme):
    assert check(issuer, issuer.token(), scheme=scheme)["jwt"]["claims"]["sub"] == "sub-1"


@pytest.mark.parametrize(
    ("claims", "why"),
    [
        ({"iss": "https://elsewhere.example/"}, "issuer"),
        ({"client_id": "client-2"}, "audience"),
        # aud, when there is one, is what counts: a matching client_id does not rescue it.
        ({"aud": "client-2"}, "audience"),
        ({"exp": int(time.time()) - 1}, "expired"),
        ({"exp": None}, "expired"),
        ({"nbf": "in 120 s"}, "nbf"),
        ({"iat": "in 120 s"}, "iat"),
    ],
)
def test_each_claim_api_gateway_checks_is_checked(issuer, claims, why):
    with pytest.raises(Refused) as refused:
        check(issuer, issuer.token(**claims))
    assert refused.value.status == 401 and why in str(refused.value)


def test_an_id_token_for_the_client_passes_by_its_audience(issuer):
    assert check(issuer, issuer.token(client_id=None, aud="client-1", token_use="id"))


def test_a_route_asking_for_scopes_refuses_a_token_without_one_of_them_with_403(issuer):
    requirement = JwtRequirement(ISSUER, ("client-1",), "$request.header.Authorization", ("orders/write",))
    assert check(issuer, issuer.token(scope="orders/read orders/write"), requirement)
    with pytest.raises(Refused) as refused:
        check(issuer, issuer.token(scope="orders/read"), requirement)
    assert refused.value.status == 403


def test_a_token_signed_by_another_key_or_not_at_all_is_refused(issuer):
    stranger = Issuer()
    for token in (stranger.token(), issuer.token().rsplit(".", 1)[0] + ".", "not-a-jwt"):
        with pytest.raises(Refused):
            check(issuer, token)


def test_a_rotated_key_is_fetched_again_once(issuer):
    keys = KeyCache(lambda found: "jwks", issuer.key_set)
    authorize(REQUIREMENT, {"authorization": issuer.token()}, keys)
    authorize(REQUIREMENT, {"authorization": issuer.token()}, keys)
    assert issuer.fetches == 1
    issuer.key = RSAKey.generate_key(2048, parameters={"kid": "k2"})
    authorize(REQUIREMENT, {"authorization": issuer.token()}, keys)
    assert issuer.fetches == 2
