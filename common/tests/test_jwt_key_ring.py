"""The JWT key ring: JWT_PUBLIC_KEY plus JWT_PUBLIC_KEYS; tokens name their key (`kid`)."""

import time
import uuid

import jwt
import pytest
from django.core.exceptions import ImproperlyConfigured
from rest_framework_simplejwt.exceptions import TokenBackendError

from common.jwks import key_id, public_jwk, split_pems
from common.settings.readers import jwt_public_keys
from common.testing import rsa_key_pair
from common.tokens import KeyRingBackend

CURRENT_PRIVATE, CURRENT = rsa_key_pair()
OLD_PRIVATE, OLD = rsa_key_pair()
NEXT_PRIVATE, NEXT = rsa_key_pair()


def backend(*, signing: str = "", ring: tuple[str, ...]) -> KeyRingBackend:
    return KeyRingBackend(
        signing_key=signing, public_keys=ring, audience="commercex", issuer="users", leeway=0
    )


def claims(**extra) -> dict:
    now = int(time.time())
    return {
        "user_id": str(uuid.uuid4()),
        "exp": now + 60,
        "iat": now,
        "aud": "commercex",
        "iss": "users",
        **extra,
    }


def test_the_ring_is_the_current_key_then_the_others(monkeypatch):
    monkeypatch.setenv("JWT_PUBLIC_KEYS", OLD + NEXT + CURRENT)  # a bundle; the current key again

    assert jwt_public_keys(CURRENT) == [CURRENT, OLD, NEXT]


def test_keys_given_on_one_line_with_escaped_newlines_are_read(monkeypatch):
    monkeypatch.setenv("JWT_PUBLIC_KEYS", (OLD + NEXT).replace("\n", "\\n"))

    assert [key_id(pem) for pem in jwt_public_keys(CURRENT)] == [key_id(CURRENT), key_id(OLD), key_id(NEXT)]


@pytest.mark.parametrize(
    "value", ["not a pem", "-----BEGIN PUBLIC KEY-----\nchange-me\n-----END PUBLIC KEY-----\n"]
)
def test_unusable_extra_keys_fail_fast(monkeypatch, value):
    monkeypatch.setenv("JWT_PUBLIC_KEYS", value)

    with pytest.raises(ImproperlyConfigured, match="JWT_PUBLIC_KEY"):
        jwt_public_keys(CURRENT)


def test_no_extra_keys_is_a_ring_of_one(monkeypatch):
    monkeypatch.delenv("JWT_PUBLIC_KEYS", raising=False)

    assert jwt_public_keys(CURRENT) == [CURRENT]


def test_the_key_id_is_the_rfc7638_thumbprint():
    jwk = public_jwk(CURRENT)

    assert jwt.PyJWK(jwk).key_id == key_id(CURRENT)
    assert split_pems(CURRENT + OLD) == [CURRENT.strip() + "\n", OLD.strip() + "\n"]


def test_a_token_is_signed_with_the_kid_of_the_signing_key():
    signer = backend(signing=CURRENT_PRIVATE, ring=(CURRENT,))

    token = signer.encode({"user_id": "u", "exp": int(time.time()) + 60})

    assert jwt.get_unverified_header(token)["kid"] == key_id(CURRENT)
    assert backend(ring=(OLD, CURRENT)).decode(token)["user_id"] == "u"


def test_a_verifier_without_the_signing_key_refuses_the_token():
    token = backend(signing=NEXT_PRIVATE, ring=(NEXT,)).encode({"user_id": "u", "exp": int(time.time()) + 60})

    with pytest.raises(TokenBackendError):
        backend(ring=(CURRENT, OLD)).decode(token)


def test_a_token_without_kid_is_tried_against_every_key_of_the_ring():
    legacy = jwt.encode(claims(), OLD_PRIVATE, algorithm="RS256")

    assert backend(ring=(CURRENT, OLD)).decode(legacy)["aud"] == "commercex"
    with pytest.raises(TokenBackendError):
        backend(ring=(CURRENT, NEXT)).decode(legacy)


def test_a_verifier_holds_no_signing_key():
    with pytest.raises(TokenBackendError, match="no signing key"):
        backend(ring=(CURRENT,)).encode({"user_id": "u"})
