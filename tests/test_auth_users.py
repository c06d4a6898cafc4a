"""CONTRACT: auth and users, through the gateway."""

import base64
import json

import pytest
from conftest import CUSTOMER_PASSWORD, bearer, unique_email
from system import VAR, wait_until

AUTH_FIELDS = {"id", "name", "email", "role", "token", "refresh"}


def register(api, **body):
    return api.post("/api/auth/register", json=body)


def test_register_returns_the_customer_with_tokens(api):
    email = unique_email()
    response = register(api, name="Ada", email=email, password=CUSTOMER_PASSWORD)
    assert response.status_code == 201
    body = response.json()
    assert set(body) == AUTH_FIELDS
    assert body["email"] == email and body["name"] == "Ada" and body["role"] == "customer"
    assert isinstance(body["id"], str) and body["id"]


def test_register_ignores_a_role_in_the_body(api):
    response = register(api, name="Eve", email=unique_email(), password=CUSTOMER_PASSWORD, role="admin")
    assert response.status_code == 201
    assert response.json()["role"] == "customer"
    profile = api.get("/api/users/profile", headers=bearer(response.json()["token"]))
    assert profile.json()["role"] == "customer"


def test_register_rejects_a_duplicate_email(api, customer):
    response = register(api, name="Again", email=customer["email"], password=CUSTOMER_PASSWORD)
    assert response.status_code == 400
    assert "email" in response.json()


@pytest.mark.parametrize("password", ["short", "12345678901", "password123"])
def test_register_rejects_a_weak_password(api, password):
    response = register(api, name="Weak", email=unique_email(), password=password)
    assert response.status_code == 400
    assert "password" in response.json()


def test_register_rejects_missing_fields(api):
    response = register(api, email=unique_email())
    assert response.status_code == 400
    assert {"name", "password"} <= set(response.json())


def test_login_returns_the_same_shape_as_register(api, customer):
    response = api.post("/api/auth/login", json={"email": customer["email"], "password": CUSTOMER_PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == AUTH_FIELDS
    assert body["id"] == customer["id"]


def test_refresh_swaps_the_pair_once(api, customer):
    response = api.post("/api/auth/refresh", json={"refresh": customer["refresh"]})
    assert response.status_code == 200
    pair = response.json()
    assert set(pair) == {"token", "refresh"}
    assert api.get("/api/users/profile", headers=bearer(pair["token"])).status_code == 200
    used = api.post("/api/auth/refresh", json={"refresh": customer["refresh"]})
    assert used.status_code == 401
    assert "detail" in used.json()


def test_refresh_rejects_garbage(api):
    response = api.post("/api/auth/refresh", json={"refresh": "not-a-token"})
    assert response.status_code == 401


def test_profile_returns_the_caller(api, customer):
    response = api.get("/api/users/profile", headers=customer["headers"])
    assert response.status_code == 200
    assert response.json() == {
        "id": customer["id"],
        "name": customer["name"],
        "email": customer["email"],
        "role": "customer",
    }


def _forged(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["role"] = "admin"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


@pytest.mark.parametrize("kind", ["none", "malformed", "forged", "wrong scheme"])
def test_profile_rejects_a_missing_or_bad_token(api, customer, kind):
    headers = {
        "none": {},
        "malformed": {"Authorization": "Bearer abc.def"},
        "forged": bearer(_forged(customer["token"])),
        "wrong scheme": {"Authorization": f"Token {customer['token']}"},
    }[kind]
    response = api.get("/api/users/profile", headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/json")
    assert "detail" in response.json()


def test_wrong_method_answers_405_json(api):
    response = api.get("/api/auth/login")
    assert response.status_code == 405
    assert "detail" in response.json()


def test_registration_mails_the_customer_through_the_smtp_sink(customer):
    """`up` runs an SMTP sink when EMAIL_HOST is unset; the welcome mail lands in its log."""

    def mailed():
        return f"To: {customer['email']}" in (VAR / "log" / "smtp.log").read_text(errors="replace")

    wait_until(mailed, timeout=10, message="a mail to the new customer")
