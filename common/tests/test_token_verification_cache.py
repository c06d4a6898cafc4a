"""Access tokens are verified once per process: the cache keeps answers, never widens them."""

import time
import uuid

import jwt
import pytest
from rest_framework_simplejwt.exceptions import TokenBackendError, TokenBackendExpiredToken

from common import tokens
from common.testing import rsa_key_pair
from common.tokens import KeyRingBackend

PRIVATE, PUBLIC = rsa_key_pair()
OTHER_PRIVATE, OTHER = rsa_key_pair()


def backend(ring: tuple[str, ...] = (PUBLIC,)) -> KeyRingBackend:
    return KeyRingBackend(signing_key="", public_keys=ring, audience="commercex", issuer="users", leeway=0)


def token(*, private: str = PRIVATE, lifetime: int = 60, **headers) -> str:
    now = int(time.time())
    claims = {
        "user_id": str(uuid.uuid4()),
        "exp": now + lifetime,
        "iat": now,
        "aud": "commercex",
        "iss": "users",
    }
    return jwt.encode(claims, private, algorithm="RS256", headers=headers or None)


@pytest.fixture
def verifications(monkeypatch) -> list:
    """Every full verification (PyJWT's decode) the backend runs."""
    calls = []
    real = tokens.jwt.decode

    def counted(*args, **kwargs):
        calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(tokens.jwt, "decode", counted)
    return calls


def test_a_token_is_verified_once_then_recognised(verifications):
    ring, issued = backend(), token()

    first, second = ring.decode(issued), ring.decode(issued.encode())  # str, then bytes as DRF sends it
    ring.decode(issued)

    assert first["user_id"] == second["user_id"]
    assert verifications == [issued, issued.encode()]


def test_a_cached_token_still_expires(monkeypatch):
    ring, issued = backend(), token(lifetime=30)
    ring.decode(issued)

    later = time.time() + 31
    monkeypatch.setattr(tokens.time, "time", lambda: later)

    with pytest.raises(TokenBackendExpiredToken):
        ring.decode(issued)


def test_an_expired_token_is_refused_and_not_cached(verifications):
    ring, expired = backend(), token(lifetime=-5)

    for _ in range(2):
        with pytest.raises(TokenBackendExpiredToken):
            ring.decode(expired)

    assert len(verifications) == 2


@pytest.mark.parametrize(
    "forged",
    [
        lambda: token(private=OTHER_PRIVATE),
        lambda: token(kid="not-in-the-ring"),
        lambda: "garbage",
        lambda: "e30.e30.e30",
    ],
    ids=["other-key", "unknown-kid", "garbage", "empty-parts"],
)
def test_a_refused_token_is_refused_every_time(forged):
    ring, bad = backend(), forged()

    for _ in range(2):
        with pytest.raises(TokenBackendError):
            ring.decode(bad)


def test_a_token_verified_under_one_ring_is_not_accepted_by_another():
    issued = token()
    backend().decode(issued)

    with pytest.raises(TokenBackendError):
        backend(ring=(OTHER,)).decode(issued)


def test_the_cache_is_bounded(monkeypatch):
    monkeypatch.setattr(tokens, "VERIFIED_TOKENS_CACHED", 3)
    ring = backend()
    for _ in range(5):
        ring.decode(token())

    assert ring._verified.cache_info().currsize == 3
