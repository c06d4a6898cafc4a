"""Build tampered and forged JWTs to prove the services refuse them."""

import base64
import hashlib
import hmac
import json
import time

import jwt
from django.conf import settings


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims_of(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def unsigned(header: dict, payload: dict, signature: bytes = b"") -> str:
    """Assemble a JWT by hand (PyJWT refuses to build the dangerous ones)."""
    head = _b64(json.dumps(header).encode()) + "." + _b64(json.dumps(payload).encode())
    return head + "." + _b64(signature)


def alg_none(payload: dict) -> str:
    return unsigned({"alg": "none", "typ": "JWT"}, payload)


def hs256_with_public_key(payload: dict) -> str:
    """The key-confusion attack: HMAC-sign with the (public) RSA verifying key."""
    key = settings.SIMPLE_JWT["VERIFYING_KEY"].encode()
    header = {"alg": "HS256", "typ": "JWT"}
    head = _b64(json.dumps(header).encode()) + "." + _b64(json.dumps(payload).encode())
    signature = hmac.new(key, head.encode(), hashlib.sha256).digest()
    return head + "." + _b64(signature)


def signed_with_service_key(payload: dict) -> str:
    return jwt.encode(payload, settings.SIMPLE_JWT["SIGNING_KEY"], algorithm="RS256")


def signed_with_other_key(payload: dict) -> str:
    from cryptography.hazmat.primitives.asymmetric import rsa

    return jwt.encode(
        payload, rsa.generate_private_key(public_exponent=65537, key_size=2048), algorithm="RS256"
    )


def with_payload_edited(token: str, **changes) -> str:
    """Change claims but keep the original signature."""
    head, _, signature = token.split(".")
    payload = claims_of(token) | changes
    return head + "." + _b64(json.dumps(payload).encode()) + "." + signature


def expired(payload: dict) -> dict:
    now = int(time.time())
    return payload | {"iat": now - 3600, "exp": now - 60}
