"""JWT key rotation without logging anyone out: `kid`, a ring of public keys, the JWKS."""

import jwt
import pytest
from jwt.algorithms import RSAAlgorithm

from common.jwks import key_id
from common.testing import rsa_key_pair
from tests import tokens

pytestmark = pytest.mark.django_db

NEXT_PRIVATE, NEXT_PUBLIC = rsa_key_pair()


def _profile(api, token):
    return api.get("/api/users/profile", HTTP_AUTHORIZATION=f"Bearer {token}")


def _refresh(api, refresh):
    return api.post("/api/auth/refresh", {"refresh": refresh}, format="json")


def _ring(settings, *, signing: tuple[str, str], accepted: list[str]) -> None:
    private, public = signing
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "SIGNING_KEY": private, "VERIFYING_KEY": public}
    settings.JWT_PUBLIC_KEYS = accepted


def test_rotating_the_signing_key_logs_nobody_out(api, register, settings):
    old_public = settings.SIMPLE_JWT["VERIFYING_KEY"]
    account = register()  # signed with the old key
    # 1. every service accepts the next key too; 2. the users service signs with it.
    _ring(settings, signing=(NEXT_PRIVATE, NEXT_PUBLIC), accepted=[NEXT_PUBLIC, old_public])

    assert _profile(api, account["token"]).status_code == 200  # old access token still works
    pair = _refresh(api, account["refresh"])  # old refresh token still works...
    assert pair.status_code == 200
    # ...onto the new key
    assert jwt.get_unverified_header(pair.json()["token"])["kid"] == key_id(NEXT_PUBLIC)
    assert _profile(api, pair.json()["token"]).status_code == 200

    # 3. once the old key's tokens expired, it is dropped: what it signed is refused.
    settings.JWT_PUBLIC_KEYS = [NEXT_PUBLIC]
    assert _profile(api, account["token"]).status_code == 401
    assert _refresh(api, pair.json()["refresh"]).status_code == 200


def test_the_jwks_lists_every_accepted_key_and_verifies_issued_tokens(api, register, settings):
    old_public = settings.SIMPLE_JWT["VERIFYING_KEY"]
    account = register()
    _ring(
        settings,
        signing=(settings.SIMPLE_JWT["SIGNING_KEY"], old_public),
        accepted=[old_public, NEXT_PUBLIC],
    )

    response = api.get("/api/auth/jwks.json")

    assert response.status_code == 200
    assert "max-age" in response["Cache-Control"]
    keys = {jwk["kid"]: jwk for jwk in response.json()["keys"]}
    assert set(keys) == {key_id(old_public), key_id(NEXT_PUBLIC)}
    assert all(jwk["kty"] == "RSA" and jwk["alg"] == "RS256" and jwk["use"] == "sig" for jwk in keys.values())
    kid = jwt.get_unverified_header(account["token"])["kid"]
    claims = jwt.decode(
        account["token"],
        RSAAlgorithm.from_jwk(keys[kid]),
        algorithms=["RS256"],
        audience=settings.SIMPLE_JWT["AUDIENCE"],
    )
    assert claims["user_id"] == account["id"]


def test_a_token_naming_an_unknown_key_is_401(api, register):
    account = register()
    claims = tokens.claims_of(account["token"])
    forged = jwt.encode(claims, NEXT_PRIVATE, algorithm="RS256", headers={"kid": key_id(NEXT_PUBLIC)})

    assert _profile(api, forged).status_code == 401


def test_a_token_naming_a_known_key_but_signed_by_another_is_401(api, register, settings):
    account = register()
    claims = tokens.claims_of(account["token"])
    kid = key_id(settings.SIMPLE_JWT["VERIFYING_KEY"])
    forged = jwt.encode(claims, NEXT_PRIVATE, algorithm="RS256", headers={"kid": kid})

    assert _profile(api, forged).status_code == 401


@pytest.mark.parametrize("kid", [["a", "list"], 7, ""])
def test_an_odd_kid_is_401(api, register, kid):
    token = register()["token"]
    odd = tokens.unsigned({"alg": "RS256", "typ": "JWT", "kid": kid}, tokens.claims_of(token), b"sig")

    assert _profile(api, odd).status_code == 401


def test_a_token_without_kid_signed_by_a_key_of_the_ring_is_accepted(api, register, settings):
    """Tokens issued before key ids stay valid until they expire."""
    claims = tokens.claims_of(register()["token"])

    legacy = tokens.signed_with_service_key(claims)

    assert "kid" not in jwt.get_unverified_header(legacy)
    assert _profile(api, legacy).status_code == 200
