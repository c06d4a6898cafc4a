"""Login sessions: refresh-token families with reuse detection, revocation, an absolute lifetime."""

import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests import tokens
from tests.conftest import PASSWORD
from users.models import RefreshSession, User
from users.services import session_revoke_all

pytestmark = pytest.mark.django_db


def _refresh(api, refresh):
    return api.post("/api/auth/refresh", {"refresh": refresh}, format="json")


def _login(api, email, password=PASSWORD):
    response = api.post("/api/auth/login", {"email": email, "password": password}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def _session_of(refresh: str) -> RefreshSession:
    return RefreshSession.objects.get(id=tokens.claims_of(refresh)["sid"])


def test_a_reused_refresh_token_revokes_every_token_rotated_from_it(api, register):
    first = register()["refresh"]
    second = _refresh(api, first).json()["refresh"]
    third = _refresh(api, second).json()["refresh"]

    assert _refresh(api, first).status_code == 401  # the thief (or the victim) replays an old one

    assert _refresh(api, third).status_code == 401  # the newest token of the family is dead too
    session = _session_of(third)
    assert session.revoked_at is not None
    assert session.revoked_reason == RefreshSession.Reason.REUSE


def test_reuse_revokes_only_that_login_not_the_users_other_sessions(api, register):
    account = register()
    other = _login(api, account["email"])["refresh"]
    rotated = _refresh(api, account["refresh"]).json()["refresh"]

    assert _refresh(api, account["refresh"]).status_code == 401
    assert _refresh(api, rotated).status_code == 401

    assert _refresh(api, other).status_code == 200


def test_a_password_change_revokes_all_of_the_users_sessions(api, register):
    account = register()
    sessions = [account["refresh"], _login(api, account["email"])["refresh"]]
    user = User.objects.get(id=account["id"])

    user.set_password("A-new-passphrase-42")
    user.save()

    assert [_refresh(api, refresh).status_code for refresh in sessions] == [401, 401]
    fresh = _login(api, account["email"], password="A-new-passphrase-42")
    assert _refresh(api, fresh["refresh"]).status_code == 200


@pytest.mark.parametrize("how", ["save", "queryset-update"])
def test_a_role_change_revokes_the_users_sessions_however_it_is_made(api, register, how):
    account = register()
    if how == "save":
        user = User.objects.get(id=account["id"])
        user.role = User.Role.ADMIN
        user.save()
    else:
        User.objects.filter(id=account["id"]).update(role=User.Role.ADMIN)

    assert _refresh(api, account["refresh"]).status_code == 401
    assert _session_of(account["refresh"]).revoked_reason == RefreshSession.Reason.CREDENTIALS
    assert tokens.claims_of(_login(api, account["email"])["token"])["role"] == "admin"


def test_createadmin_on_an_existing_account_revokes_its_sessions(api, register):
    account = register(email="promoted@example.com")

    call_command("createadmin", email="promoted@example.com", password=PASSWORD)

    assert _refresh(api, account["refresh"]).status_code == 401
    assert _session_of(account["refresh"]).revoked_reason == RefreshSession.Reason.CREDENTIALS


def test_a_name_change_revokes_nothing(api, register):
    account = register()
    user = User.objects.get(id=account["id"])
    user.name = "Ada King"
    user.save()

    assert _refresh(api, account["refresh"]).status_code == 200


def test_log_out_everywhere_revokes_every_open_session(api, register):
    account = register()
    second = _login(api, account["email"])["refresh"]

    assert session_revoke_all(user_id=account["id"]) == 2

    assert _refresh(api, account["refresh"]).status_code == 401
    assert _refresh(api, second).status_code == 401


def test_a_session_ends_at_its_absolute_lifetime_however_often_it_was_refreshed(api, register):
    refresh = register()["refresh"]
    for _ in range(3):
        refresh = _refresh(api, refresh).json()["refresh"]
    RefreshSession.objects.filter(id=_session_of(refresh).id).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    response = _refresh(api, refresh)

    assert response.status_code == 401
    assert tokens.claims_of(refresh)["exp"] > time.time()  # the token itself had not expired


def test_the_session_lifetime_is_configurable_and_caps_each_refresh_tokens_expiry(api, register, settings):
    settings.JWT_SESSION_DAYS = 2
    account = register()

    session = _session_of(account["refresh"])
    expected_end = timezone.now() + timedelta(days=2)
    assert abs((session.expires_at - expected_end).total_seconds()) < 60
    rotated = _refresh(api, account["refresh"]).json()["refresh"]
    assert tokens.claims_of(rotated)["exp"] == int(session.expires_at.timestamp())


def test_the_default_session_lifetime_is_thirty_days(settings):
    assert settings.JWT_SESSION_DAYS == 30


def test_a_refresh_token_from_before_sessions_is_refused(api, register):
    account = register()
    claims = tokens.claims_of(account["refresh"])
    claims.pop("sid")

    assert _refresh(api, tokens.signed_with_service_key(claims)).status_code == 401
