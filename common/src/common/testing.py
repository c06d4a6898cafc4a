"""Helpers for service tests: access tokens signed like the users service, a real SMTP server."""

import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage

from django.conf import settings

from common.keys import local_jwt_key_pair


def _signing_key() -> str:
    """Use the configured private key, or the local pair every service verifies with by default."""
    configured = settings.SIMPLE_JWT.get("SIGNING_KEY")
    if configured:
        return configured
    private_pem, public_pem = local_jwt_key_pair()
    if public_pem.strip() != settings.SIMPLE_JWT["VERIFYING_KEY"].strip():
        raise RuntimeError("JWT_PUBLIC_KEY is set without its JWT_PRIVATE_KEY: tests cannot sign tokens")
    return private_pem


def make_access_token(
    *, user_id: str | None = None, email: str = "", name: str = "Test User", role: str = "customer"
) -> str:
    """Return a valid RS256 access token with the claims services authorize on."""
    # Imported here so that importing this module needs no configured Django (smtp_server).
    from rest_framework_simplejwt.backends import TokenBackend
    from rest_framework_simplejwt.tokens import AccessToken

    token = AccessToken()
    token["user_id"] = str(user_id or uuid.uuid4())
    token["email"] = email or f"{token['user_id']}@example.com"
    token["name"] = name
    token["role"] = role
    jwt = settings.SIMPLE_JWT
    backend = TokenBackend(
        algorithm=jwt["ALGORITHM"],
        signing_key=_signing_key(),
        verifying_key=jwt["VERIFYING_KEY"],
        audience=jwt.get("AUDIENCE"),
        issuer=jwt.get("ISSUER"),
    )
    return backend.encode(token.payload)


def auth_header(token: str) -> dict:
    """Return the client kwargs that send `token` as a Bearer credential."""
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


class _Collector:
    """Keep every message an SMTP server accepted, parsed."""

    def __init__(self):
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=email_policy.default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server(host: str = "127.0.0.1", port: int = 0) -> Iterator[tuple[int, list[EmailMessage]]]:
    """Run a real local SMTP server (aiosmtpd) on `port` or a free one; yield (port, received messages)."""
    from aiosmtpd.controller import Controller  # a test-only dependency (requirements/dev.txt)

    if not port:
        with socket.socket() as probe:
            probe.bind((host, 0))
            port = probe.getsockname()[1]
    collector = _Collector()
    controller = Controller(collector, hostname=host, port=port)
    controller.start()
    try:
        yield port, collector.messages
    finally:
        controller.stop()


@contextmanager
def private_cache_prefix(settings, label: str) -> Iterator[str]:
    """Give one test its own Redis key prefix, and delete only its keys afterwards.

    Redis is shared with other suites running at the same time, so it is never flushed.
    `settings` is pytest-django's settings fixture.
    """
    from django.core.cache import cache

    caches = {name: dict(config) for name, config in settings.CACHES.items()}
    prefix = f"test-{label}-{uuid.uuid4().hex[:12]}"
    caches["default"]["KEY_PREFIX"] = prefix
    settings.CACHES = caches
    try:
        yield prefix
    finally:
        cache.delete_pattern("*")


class ApiCaller:
    """A DRF test client authenticated as one new user (a customer unless `role` says otherwise)."""

    def __init__(self, *, role: str = "customer"):
        from rest_framework.test import APIClient

        self.user_id = str(uuid.uuid4())
        self.email = f"{self.user_id[:8]}@example.com"
        self.client = APIClient()
        token = make_access_token(user_id=self.user_id, email=self.email, role=role)
        self.client.credentials(**auth_header(token))

    def post(self, path, data=None, **extra):
        return self.client.post(path, data, format="json", **extra)

    def get(self, path, **extra):
        return self.client.get(path, **extra)


def rsa_key_pair() -> tuple[str, str]:
    """Return a fresh (private PEM, public PEM) pair, as an operator would provide."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


def production_environment(*, private_key: str = "", public_key: str, **overrides: str) -> dict:
    """Return this process's environment turned into a production one (for a subprocess)."""
    import os
    import secrets

    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "JWT_", "SECURE_"))}
    env.update(
        DJANGO_ENV="production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="shop.example.com",
        JWT_PUBLIC_KEY=public_key,
        **({"JWT_PRIVATE_KEY": private_key} if private_key else {}),
    )
    env.update(overrides)
    return env
