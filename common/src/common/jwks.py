"""RSA public keys as a key ring: PEM bundles, key ids (`kid`) and JSON Web Keys.

A key's id is its RFC 7638 JWK thumbprint (SHA-256 of its canonical JWK), so every
service derives the same `kid` from the same PEM with nothing else configured. No Django
here: settings modules use it while they are read.
"""

import base64
import hashlib
import json
import re

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

_PEM_BLOCK = re.compile(r"-----BEGIN PUBLIC KEY-----.+?-----END PUBLIC KEY-----", re.DOTALL)


def _b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8 or 1, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def split_pems(text: str) -> list[str]:
    """Every `PUBLIC KEY` PEM block of `text` (a bundle, one-line values with `\\n` accepted)."""
    text = (text or "").replace("\\n", "\n")
    return [block.strip() + "\n" for block in _PEM_BLOCK.findall(text)]


def load_public_key(pem: str) -> rsa.RSAPublicKey:
    key = serialization.load_pem_public_key(pem.encode())
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA public key")
    return key


def public_jwk(pem: str) -> dict:
    """The RSA public key `pem` as a JWK (RFC 7517) for RS256 signatures, with its `kid`."""
    numbers = load_public_key(pem).public_numbers()
    essential = {"e": _b64url_uint(numbers.e), "kty": "RSA", "n": _b64url_uint(numbers.n)}
    canonical = json.dumps(essential, separators=(",", ":"), sort_keys=True).encode()
    kid = base64.urlsafe_b64encode(hashlib.sha256(canonical).digest()).rstrip(b"=").decode()
    return {**essential, "kid": kid, "use": "sig", "alg": "RS256"}


def key_id(pem: str) -> str:
    """The `kid` of an RSA public key: its RFC 7638 thumbprint."""
    return public_jwk(pem)["kid"]


def unique_keys(pems: list[str]) -> list[str]:
    """`pems` without repeats of the same key (compared by key id), first occurrence kept."""
    seen, kept = set(), []
    for pem in pems:
        kid = key_id(pem)
        if kid not in seen:
            seen.add(kid)
            kept.append(pem)
    return kept
