import pytest
from django.core.management import call_command

from tests import tokens
from tests.conftest import PASSWORD
from users.models import User

pytestmark = pytest.mark.django_db


def test_createadmin_creates_an_admin_who_logs_in_with_the_admin_role(api):
    call_command("createadmin", email="Boss@Example.com", password="boss-pass-1")

    user = User.objects.get(email="boss@example.com")
    assert (user.role, user.is_staff, user.is_superuser) == ("admin", True, True)
    login = api.post(
        "/api/auth/login", {"email": "boss@example.com", "password": "boss-pass-1"}, format="json"
    )
    assert login.status_code == 200
    assert login.json()["role"] == "admin"
    assert tokens.claims_of(login.json()["token"])["role"] == "admin"


def test_createadmin_resets_an_existing_accounts_password_and_promotes_it(api, register):
    account = register(email="promote@example.com")

    call_command("createadmin", email="promote@example.com", password="new-admin-pass-2")
    call_command("createadmin", email="promote@example.com", password="new-admin-pass-2")

    assert User.objects.filter(email="promote@example.com").count() == 1
    user = User.objects.get(id=account["id"])
    assert user.role == "admin"
    assert user.check_password("new-admin-pass-2")
    old = api.post("/api/auth/login", {"email": "promote@example.com", "password": PASSWORD}, format="json")
    new = api.post(
        "/api/auth/login", {"email": "promote@example.com", "password": "new-admin-pass-2"}, format="json"
    )
    assert (old.status_code, new.status_code) == (401, 200)
    assert new.json()["role"] == "admin"
