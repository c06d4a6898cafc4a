import json
import uuid

import pytest
from jsonschema import Draft202012Validator

from common.events.schemas import SCHEMA_DIR
from common.events.testing import published
from tests.conftest import PASSWORD
from users import settings as users_settings
from users.models import User

pytestmark = pytest.mark.django_db


def _body(**overrides):
    return {
        "name": "Grace Hopper",
        "email": f"{uuid.uuid4().hex[:10]}@example.com",
        "password": PASSWORD,
    } | overrides


def test_register_returns_201_with_the_account_and_a_token_pair(api):
    body = _body(email="Grace.Hopper@Example.COM")

    response = api.post("/api/auth/register", body, format="json")

    assert response.status_code == 201
    data = response.json()
    assert set(data) == {"id", "name", "email", "role", "token", "refresh"}
    assert data["name"] == "Grace Hopper"
    assert data["email"] == "grace.hopper@example.com"
    assert data["role"] == "customer"
    assert isinstance(data["id"], str) and data["id"]
    assert data["token"].count(".") == 2 and data["refresh"].count(".") == 2
    assert User.objects.get(id=data["id"]).check_password(PASSWORD)


def test_register_ignores_a_role_in_the_body(api):
    response = api.post("/api/auth/register", _body(role="admin"), format="json")

    assert response.status_code == 201
    assert response.json()["role"] == "customer"
    user = User.objects.get(id=response.json()["id"])
    assert (user.role, user.is_staff, user.is_superuser) == ("customer", False, False)


def test_register_stores_the_password_hashed_with_argon2(api):
    response = api.post("/api/auth/register", _body(), format="json")

    assert User.objects.get(id=response.json()["id"]).password.startswith("argon2$")
    # The tests hash with cheaper parameters; the service itself uses Django's Argon2 hasher.
    assert users_settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


@pytest.mark.parametrize("second_email", ["taken@example.com", "TAKEN@Example.com"])
def test_register_with_a_taken_email_is_400_and_creates_nothing(api, second_email):
    api.post("/api/auth/register", _body(email="taken@example.com"), format="json")

    response = api.post("/api/auth/register", _body(email=second_email, name="Someone Else"), format="json")

    assert response.status_code == 400
    assert "email" in response.json()
    assert User.objects.filter(email__iexact="taken@example.com").count() == 1


@pytest.mark.parametrize(
    "password",
    ["short1!", "password123", "12345678901", "grace.hopper.example"],
    ids=["too-short", "too-common", "all-numeric", "like-the-email"],
)
def test_register_with_a_weak_password_is_400_and_creates_nothing(api, password):
    response = api.post(
        "/api/auth/register",
        _body(email="grace.hopper.example@example.com", password=password),
        format="json",
    )

    assert response.status_code == 400
    assert "password" in response.json()
    assert all(isinstance(message, str) for message in response.json()["password"])
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "a@example.com", "password": PASSWORD}, "name"),
        ({"name": "A", "password": PASSWORD}, "email"),
        ({"name": "A", "email": "not-an-email", "password": PASSWORD}, "email"),
        ({"name": "A", "email": "a@example.com"}, "password"),
        ({"name": "", "email": "a@example.com", "password": PASSWORD}, "name"),
    ],
)
def test_register_with_missing_or_invalid_fields_is_400_naming_the_field(api, body, field):
    response = api.post("/api/auth/register", body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not User.objects.exists()


def test_register_with_malformed_json_is_400_json(api):
    response = api.post("/api/auth/register", data='{"name": "x", ', content_type="application/json")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert isinstance(response.json()["non_field_errors"], list)
    assert not User.objects.exists()


def test_register_with_a_json_list_body_is_400(api):
    response = api.post("/api/auth/register", data="[1, 2]", content_type="application/json")

    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_register_records_user_registered_in_the_outbox_with_a_valid_payload(api):
    response = api.post("/api/auth/register", _body(email="Outbox@Example.com"), format="json")
    user_id = response.json()["id"]

    events = published("user-registered")

    assert len(events) == 1
    event = events[0]
    assert event.key == user_id
    assert event.payload["userId"] == user_id
    assert event.payload["email"] == "outbox@example.com"
    assert event.payload["name"] == "Grace Hopper"
    schema = json.loads((SCHEMA_DIR / "user-registered.json").read_text())
    Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER).validate(event.payload)


def test_a_refused_registration_records_no_event(api):
    api.post("/api/auth/register", _body(email="dup@example.com"), format="json")

    api.post("/api/auth/register", _body(email="dup@example.com"), format="json")
    api.post("/api/auth/register", _body(password="123"), format="json")

    assert len(published("user-registered")) == 1


def test_register_carries_the_request_id_into_the_event(api):
    api.post("/api/auth/register", _body(), format="json", HTTP_X_REQUEST_ID="reg-trace-1")

    assert published("user-registered")[0].correlation_id == "reg-trace-1"
