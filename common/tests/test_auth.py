from types import SimpleNamespace

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings

from common.auth import is_admin
from common.testing import auth_header, make_access_token
from http_fixtures import use_own_cache_prefix

pytestmark = pytest.mark.urls("http_urls")


@pytest.fixture(autouse=True)
def _own_cache(settings):
    """Rate-limit counters of this test's requests go to a key prefix of its own."""
    yield from use_own_cache_prefix(settings)


WHOAMI = "/api/testsvc/whoami/"


def test_a_valid_token_builds_the_user_from_its_claims_without_a_query(client):
    """Database access is blocked in this test (no django_db mark): any query would be a 500."""
    token = make_access_token(user_id="u-42", email="ada@example.com", name="Ada", role="customer")

    response = client.get(WHOAMI, **auth_header(token))

    assert response.status_code == 200
    assert response.json() == {
        "id": "u-42",
        "email": "ada@example.com",
        "name": "Ada",
        "role": "customer",
        "admin": False,
    }


def test_the_admin_role_comes_from_the_token(client):
    response = client.get(WHOAMI, **auth_header(make_access_token(role="admin")))

    assert response.json()["admin"] is True


def _claims():
    return jwt.decode(make_access_token(), options={"verify_signature": False})


@pytest.mark.parametrize(
    "token",
    [
        None,
        "garbage",
        jwt.encode(
            _claims(), rsa.generate_private_key(public_exponent=65537, key_size=2048), algorithm="RS256"
        ),
    ],
    ids=["none", "garbage", "other-key"],
)
def test_a_missing_or_forged_token_is_401(client, token):
    headers = auth_header(token) if token else {}

    response = client.get(WHOAMI, **headers)

    assert response.status_code == 401
    assert "detail" in response.json()


def test_a_token_signed_with_hs256_and_the_public_key_is_401(client):
    import base64
    import hashlib
    import hmac
    import json

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    head = (
        b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." + b64(json.dumps(_claims()).encode())
    )
    key = settings.SIMPLE_JWT["VERIFYING_KEY"].encode()
    token = head + "." + b64(hmac.new(key, head.encode(), hashlib.sha256).digest())

    assert client.get(WHOAMI, **auth_header(token)).status_code == 401


@pytest.mark.parametrize(
    ("role", "get_status", "post_status"),
    [(None, 200, 401), ("customer", 200, 403), ("admin", 200, 200)],
    ids=["anonymous", "customer", "admin"],
)
def test_is_admin_or_read_only(client, role, get_status, post_status):
    headers = auth_header(make_access_token(role=role)) if role else {}

    read = client.get("/api/testsvc/catalogue/", **headers)
    write = client.post("/api/testsvc/catalogue/", {}, content_type="application/json", **headers)

    assert (read.status_code, write.status_code) == (get_status, post_status)


def test_is_admin_needs_an_authenticated_admin():
    assert is_admin(SimpleNamespace(is_authenticated=True, role="admin"))
    assert not is_admin(SimpleNamespace(is_authenticated=False, role="admin"))
    assert not is_admin(None)
