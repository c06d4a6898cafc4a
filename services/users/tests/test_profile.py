import pytest

from tests import tokens
from users.models import User

pytestmark = pytest.mark.django_db


def _profile(api, authorization: str | None):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization is not None else {}
    return api.get("/api/users/profile", **headers)


def test_profile_returns_the_callers_account(api, register):
    account = register(email="me@example.com", name="Me Myself")

    response = _profile(api, f"Bearer {account['token']}")

    assert response.status_code == 200
    assert response.json() == {
        "id": account["id"],
        "name": "Me Myself",
        "email": "me@example.com",
        "role": "customer",
    }


def test_access_token_carries_the_claims_other_services_authorize_on(register):
    account = register(email="claims@example.com")

    claims = tokens.claims_of(account["token"])

    assert claims["user_id"] == account["id"]
    assert (claims["email"], claims["role"], claims["token_type"]) == (
        "claims@example.com",
        "customer",
        "access",
    )
    assert (claims["iss"], claims["aud"]) == ("commercex-users", "commercex")
    assert tokens.claims_of(account["refresh"])["token_type"] == "refresh"


def _valid_claims(account):
    return tokens.claims_of(account["token"])


BAD_TOKENS = {
    "malformed": lambda account: "Bearer not.a.jwt",
    "garbage": lambda account: "Bearer abc",
    "empty-bearer": lambda account: "Bearer ",
    "three-parts": lambda account: f"Bearer {account['token']} extra",
    "expired": lambda account: (
        f"Bearer {tokens.signed_with_service_key(tokens.expired(_valid_claims(account)))}"
    ),
    "forged-other-key": lambda account: f"Bearer {tokens.signed_with_other_key(_valid_claims(account))}",
    "alg-none": lambda account: f"Bearer {tokens.alg_none(_valid_claims(account))}",
    "hs256-with-public-key": lambda account: f"Bearer {tokens.hs256_with_public_key(_valid_claims(account))}",
    "wrong-issuer": lambda account: (
        f"Bearer {tokens.signed_with_service_key(_valid_claims(account) | {'iss': 'someone-else'})}"
    ),
    "wrong-audience": lambda account: (
        f"Bearer {tokens.signed_with_service_key(_valid_claims(account) | {'aud': 'another-app'})}"
    ),
    "no-audience": lambda account: (
        f"Bearer {tokens.signed_with_service_key(_valid_claims(account) | {'aud': None})}"
    ),
    "role-edited": lambda account: f"Bearer {tokens.with_payload_edited(account['token'], role='admin')}",
    "user-edited": lambda account: f"Bearer {tokens.with_payload_edited(account['token'], user_id='x')}",
    "refresh-as-access": lambda account: f"Bearer {account['refresh']}",
    "signature-stripped": lambda account: "Bearer " + account["token"].rsplit(".", 1)[0] + ".",
}


def test_profile_without_a_token_is_401_with_a_bearer_challenge(api):
    response = _profile(api, None)

    assert response.status_code == 401
    assert "detail" in response.json()
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("kind", list(BAD_TOKENS))
def test_profile_with_a_bad_token_is_401_json(api, register, kind):
    account = register()

    response = _profile(api, BAD_TOKENS[kind](account))

    assert response.status_code == 401, kind
    assert response["Content-Type"].startswith("application/json")
    assert "detail" in response.json()


def test_the_same_claims_signed_with_the_service_key_are_accepted(api, register):
    """Control for the cases above: only the tampering makes them fail."""
    account = register()

    response = _profile(api, f"Bearer {tokens.signed_with_service_key(_valid_claims(account))}")

    assert response.status_code == 200


def test_profile_of_a_deactivated_account_is_401(api, register):
    account = register()
    User.objects.filter(id=account["id"]).update(is_active=False)

    assert _profile(api, f"Bearer {account['token']}").status_code == 401


def test_profile_refuses_other_methods_with_405_json(api, register):
    account = register()

    response = api.post(
        "/api/users/profile", {}, format="json", HTTP_AUTHORIZATION=f"Bearer {account['token']}"
    )

    assert response.status_code == 405
    assert "detail" in response.json()
