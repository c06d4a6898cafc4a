"""RS256 tokens signed with a key id (`kid`) and verified against a key ring.

The users service signs with JWT_PRIVATE_KEY and names the key in the token's header
(`kid`, the key's RFC 7638 thumbprint); every service accepts a token signed by any key of
its ring (settings.JWT_PUBLIC_KEYS: JWT_PUBLIC_KEY, then JWT_PUBLIC_KEYS). So the signing
key can be rotated without logging anyone out: publish the next public key everywhere,
switch the private key, drop the old public key once its tokens expired (docs/DEPLOY.md).

A token naming a key outside the ring is refused; a token without `kid` (issued before
key ids) is checked against each key of the ring. Only RS256 is accepted, with the
configured issuer and audience.

Verifying costs one decode of the token (its `kid` is read from the header segment alone)
and one RSA verification, ~0.1 ms; a token this process already verified is recognised by
its exact text in a bounded cache (VERIFIED_TOKENS_CACHED per key ring) and only its expiry
checked again: a few microseconds. Access tokens are stateless (nothing revokes one before
it expires), so the cache changes no answer; an invalid or expired token is never cached,
and a changed key ring (settings) is a new backend with an empty cache.
"""

import base64
import binascii
import json
import time
from functools import lru_cache

import jwt
from django.conf import settings
from rest_framework_simplejwt import tokens
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.exceptions import TokenBackendError, TokenBackendExpiredToken

from common.jwks import key_id, load_public_key, public_jwk
from common.keys import public_pem_of

ALGORITHM = "RS256"
VERIFIED_TOKENS_CACHED = 4096


def _header_kid(token) -> object:
    """The `kid` of a token's header (None without one), reading only the header segment.

    Anything unreadable raises TokenBackendError, as PyJWT would for the whole token.
    """
    try:
        segment = (token.decode() if isinstance(token, bytes) else token).split(".", 1)[0]
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as error:
        raise TokenBackendError("Token is invalid") from error
    if not isinstance(header, dict):
        raise TokenBackendError("Token is invalid")
    return header.get("kid")


class KeyRingBackend(TokenBackend):
    """simplejwt's TokenBackend, signing with a `kid` and verifying against several public keys."""

    def __init__(self, *, signing_key: str, public_keys: tuple[str, ...], audience, issuer, leeway):
        super().__init__(
            ALGORITHM,
            signing_key=signing_key or None,
            verifying_key=public_keys[0],
            audience=audience,
            issuer=issuer,
            leeway=leeway,
        )
        self.keys = {key_id(pem): load_public_key(pem) for pem in public_keys}
        self.signing_kid = key_id(public_pem_of(signing_key)) if signing_key else None
        # Thread-safe and bounded; exceptions (invalid tokens) are not cached.
        self._verified = lru_cache(maxsize=VERIFIED_TOKENS_CACHED)(self._verify)

    def encode(self, payload: dict) -> str:
        if not self.signing_kid:
            raise TokenBackendError("This service holds no signing key")
        claims = dict(payload)
        if self.audience is not None:
            claims["aud"] = self.audience
        if self.issuer is not None:
            claims["iss"] = self.issuer
        return jwt.encode(
            claims, self.prepared_signing_key, algorithm=ALGORITHM, headers={"kid": self.signing_kid}
        )

    def _candidate_keys(self, token) -> list:
        kid = _header_kid(token)
        if kid is None:
            return list(self.keys.values())
        if not isinstance(kid, str) or kid not in self.keys:
            raise TokenBackendError("Token is signed with an unknown key")
        return [self.keys[kid]]

    def decode(self, token, verify: bool = True) -> dict:
        if not verify:
            return super().decode(token, verify=False)
        claims = self._verified(token)
        expires = claims.get("exp")
        if isinstance(expires, (int, float)) and expires <= time.time() - self.get_leeway().total_seconds():
            raise TokenBackendExpiredToken("Token is expired")
        return dict(claims)

    def _verify(self, token) -> dict:
        candidates = self._candidate_keys(token)
        for index, key in enumerate(candidates):
            try:
                return jwt.decode(
                    token,
                    key,
                    algorithms=[ALGORITHM],
                    audience=self.audience,
                    issuer=self.issuer,
                    leeway=self.get_leeway(),
                    options={"verify_aud": self.audience is not None},
                )
            except jwt.InvalidSignatureError as error:
                if index == len(candidates) - 1:
                    raise TokenBackendError("Token is invalid") from error
            except jwt.ExpiredSignatureError as error:
                raise TokenBackendExpiredToken("Token is expired") from error
            except jwt.InvalidTokenError as error:
                raise TokenBackendError("Token is invalid") from error
        raise TokenBackendError("Token is invalid")


@lru_cache(maxsize=8)
def _backend(signing_key, public_keys, audience, issuer, leeway) -> KeyRingBackend:
    return KeyRingBackend(
        signing_key=signing_key, public_keys=public_keys, audience=audience, issuer=issuer, leeway=leeway
    )


def public_keys() -> list[str]:
    """The PEM public keys of this service's ring (the current key first)."""
    return list(getattr(settings, "JWT_PUBLIC_KEYS", None) or [settings.SIMPLE_JWT["VERIFYING_KEY"]])


def token_backend() -> KeyRingBackend:
    """The backend for the current settings (cached; a changed setting, as in tests, makes a new one)."""
    config = settings.SIMPLE_JWT
    return _backend(
        config.get("SIGNING_KEY") or "",
        tuple(public_keys()),
        config.get("AUDIENCE"),
        config.get("ISSUER"),
        config.get("LEEWAY", 0),
    )


def jwks() -> dict:
    """The ring's public keys as a JWK Set (RFC 7517), for GET /api/auth/jwks.json."""
    return {"keys": [public_jwk(pem) for pem in public_keys()]}


class AccessToken(tokens.AccessToken):
    def get_token_backend(self) -> KeyRingBackend:
        return token_backend()


class RefreshToken(tokens.RefreshToken):
    access_token_class = AccessToken

    def get_token_backend(self) -> KeyRingBackend:
        return token_backend()
