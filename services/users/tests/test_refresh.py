import jwt
import pytest
from django.conf import settings

from common.jwks import key_id
from tests import tokens
from users.models import User

pytestmark = pytest.mark.django_db


def _refresh(api, refresh):
    return api.post("/api/auth/refresh", {"refresh": refresh}, format="json")


def test_refresh_returns_a_new_pair_and_the_new_access_token_works(api, register):
    account = register()

    response = _refresh(api, account["refresh"])

    assert response.status_code == 200
    data = response.json()
    assert set(data) == {"token", "refresh"}
    assert data["refresh"] != account["refresh"]
    assert tokens.claims_of(data["token"])["user_id"] == account["id"]
    profile = api.get("/api/users/profile", HTTP_AUTHORIZATION=f"Bearer {data['token']}")
    assert profile.status_code == 200


def test_a_used_refresh_token_is_401(api, register):
    account = register()
    assert _refresh(api, account["refresh"]).status_code == 200

    reused = _refresh(api, account["refresh"])

    assert reused.status_code == 401
    assert "detail" in reused.json()


def test_the_rotated_refresh_token_works_once_in_turn(api, register):
    account = register()
    second = _refresh(api, account["refresh"]).json()["refresh"]

    assert _refresh(api, second).status_code == 200
    assert _refresh(api, second).status_code == 401


def test_the_new_pair_carries_the_accounts_current_name(api, register):
    account = register()
    User.objects.filter(id=account["id"]).update(name="Ada King")

    data = _refresh(api, account["refresh"]).json()

    assert tokens.claims_of(data["token"])["name"] == "Ada King"


def test_tokens_name_their_signing_key(api, register):
    account = register()

    pair = _refresh(api, account["refresh"]).json()

    for token in (account["token"], account["refresh"], pair["token"], pair["refresh"]):
        assert jwt.get_unverified_header(token)["kid"] == key_id(settings.SIMPLE_JWT["VERIFYING_KEY"])


@pytest.mark.parametrize(
    "make",
    [
        lambda account: "not-a-token",
        lambda account: account["token"],
        lambda account: tokens.with_payload_edited(account["refresh"], user_id="someone"),
        lambda account: tokens.signed_with_other_key(tokens.claims_of(account["refresh"])),
        lambda account: tokens.signed_with_service_key(tokens.expired(tokens.claims_of(account["refresh"]))),
        lambda account: tokens.alg_none(tokens.claims_of(account["refresh"])),
    ],
    ids=["garbage", "access-token", "edited", "forged", "expired", "alg-none"],
)
def test_an_invalid_refresh_token_is_401(api, register, make):
    account = register()

    response = _refresh(api, make(account))

    assert response.status_code == 401
    assert "detail" in response.json()


def test_refresh_of_a_deactivated_account_is_401(api, register):
    account = register()
    User.objects.filter(id=account["id"]).update(is_active=False)

    assert _refresh(api, account["refresh"]).status_code == 401


def test_refresh_without_the_field_is_400(api):
    response = api.post("/api/auth/refresh", {}, format="json")

    assert response.status_code == 400
    assert "refresh" in response.json()
