import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests import tokens
from tests.conftest import PASSWORD
from users.models import User

pytestmark = pytest.mark.django_db

SERVICE_DIR = Path(__file__).resolve().parent.parent


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


@pytest.mark.parametrize(("email", "password"), [("not-an-email", "pw-123456"), ("ok@example.com", "")])
def test_createadmin_refuses_a_bad_email_or_an_empty_password(email, password):
    with pytest.raises(CommandError):
        call_command("createadmin", email=email, password=password)

    assert not User.objects.exists()


def test_createadmin_works_on_a_fresh_database_as_its_own_process(tmp_path):
    """`manage_all.py createadmin` runs this in a process of its own, maybe before the first `up`."""
    database = tmp_path / "users.sqlite3"
    env = {**os.environ, "USERS_DATABASE_URL": f"sqlite:///{database}"}
    command = [
        sys.executable,
        "manage.py",
        "createadmin",
        "--email",
        "Fresh@Example.com",
        "--password",
        "pw-fresh-1",
    ]

    result = subprocess.run(command, cwd=SERVICE_DIR, env=env, capture_output=True, text=True, timeout=120)

    assert result.returncode == 0, result.stderr
    assert "admin ready: fresh@example.com" in result.stdout
    with sqlite3.connect(database) as db:
        rows = db.execute(
            "SELECT role, is_superuser FROM users_user WHERE email = 'fresh@example.com'"
        ).fetchall()
    assert rows == [("admin", 1)]
