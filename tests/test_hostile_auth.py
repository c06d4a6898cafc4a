"""Forged and tampered tokens: every service answers 401 and does nothing; stolen refresh tokens die.

The forgeries are the classic JWT attacks: `alg: none`, HS256 signed with the (public)
RSA key, an expired token, the wrong issuer or audience, a customer's token whose `role`
was edited to admin, and a token naming a signing key (`kid`) the system does not have,
or naming its key but signed by another. The expired and wrong-issuer tokens are signed
with the real private key (read from the test system's var/keys), so only the claim is
wrong. Sessions: a replayed refresh token revokes its whole family (the thief's tokens and
the victim's), and `createadmin` on an account ends its sessions.
"""

import base64
import hashlib
import hmac
import json
import time
import uuid
from pathlib import Path

import drills
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

SOURCE = "127.0.0.32"
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unverified(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def sign_raw(header: dict, claims: dict, *, key: bytes | None, algorithm: str) -> str:
    """Build a JWT by hand (PyJWT refuses `none` with claims and HMAC with a PEM key)."""
    head = b64(json.dumps(header).encode())
    body = b64(json.dumps(claims).encode())
    if algorithm == "none":
        return f"{head}.{body}."
    signature = hmac.new(key, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(signature)}"


@pytest.fixture(scope="module")
def forger(system):
    keys = Path(system.env["COMMERCEX_VAR_DIR"]) / "keys"
    with drills.client(system, source=SOURCE) as api:
        customer = drills.register(api, "forger")
        yield {
            "api": api,
            "customer": customer,
            "claims": unverified(customer["token"]),
            "private": (keys / "jwt_private.pem").read_bytes(),
            "public": (keys / "jwt_public.pem").read_bytes(),
        }


def forgeries(forger) -> dict[str, str]:
    """Tokens that claim to be an admin (or are otherwise invalid); none may be accepted."""
    claims = {**forger["claims"], "role": "admin", "jti": uuid.uuid4().hex}
    now = int(time.time())
    real = forger["customer"]["token"]
    head, _body, signature = real.split(".")
    return {
        "alg none": sign_raw({"alg": "none", "typ": "JWT"}, claims, key=None, algorithm="none"),
        "alg NONE": sign_raw({"alg": "NONE", "typ": "JWT"}, claims, key=None, algorithm="none"),
        "HS256 with the public key": sign_raw(
            {"alg": "HS256", "typ": "JWT"}, claims, key=forger["public"], algorithm="HS256"
        ),
        "expired": jwt.encode({**claims, "iat": now - 7200, "exp": now - 3600}, forger["private"], "RS256"),
        "wrong issuer": jwt.encode({**claims, "iss": "evil-issuer"}, forger["private"], "RS256"),
        "wrong audience": jwt.encode({**claims, "aud": "someone-else"}, forger["private"], "RS256"),
        "role edited": f"{head}.{b64(json.dumps(claims).encode())}.{signature}",
        "signature stripped": f"{head}.{b64(json.dumps(claims).encode())}.",
        "garbage": "not.a.jwt",
        "unknown kid": jwt.encode(claims, OTHER_KEY, "RS256", headers={"kid": "not-a-key-of-ours"}),
        "known kid, other key": jwt.encode(
            claims, OTHER_KEY, "RS256", headers={"kid": jwt.get_unverified_header(real)["kid"]}
        ),
    }


PROTECTED = [
    ("GET", "/api/users/profile", None),
    ("GET", "/api/orders/", None),
    ("GET", "/api/payments/", None),
    ("GET", "/api/notifications/", None),
    ("POST", "/api/products/", {"name": "Forged", "price": "1.00", "stock": 1}),
    ("POST", "/api/orders/", {"items": []}),
]


def test_the_real_token_is_accepted(forger):
    """The control: the untampered customer token works, so a 401 below is the forgery's doing."""
    response = forger["api"].get("/api/users/profile", headers=forger["customer"]["headers"])
    assert response.status_code == 200
    assert response.json()["role"] == "customer"


ATTACKS = [
    "alg none",
    "alg NONE",
    "HS256 with the public key",
    "expired",
    "wrong issuer",
    "wrong audience",
    "role edited",
    "signature stripped",
    "garbage",
    "unknown kid",
    "known kid, other key",
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_forged_tokens_get_401_everywhere_and_change_nothing(forger, attack):
    token = forgeries(forger)[attack]
    api = forger["api"]
    before = api.get("/api/products/?search=Forged").json()["count"]
    for method, path, body in PROTECTED:
        response = api.request(method, path, json=body, headers=drills.bearer(token))
        assert response.status_code == 401, (attack, path, response.status_code, response.text)
        assert response.headers["content-type"].startswith("application/json")
        assert "detail" in response.json()
    assert api.get("/api/products/?search=Forged").json()["count"] == before


def test_admin_role_claim_in_a_validly_signed_customer_token_is_not_trusted_blindly(forger):
    """A token the users service never issued cannot be minted by a customer: its own is customer."""
    claims = unverified(forger["customer"]["token"])
    assert claims.get("role", "customer") == "customer"
    response = forger["api"].post(
        "/api/products/",
        json={"name": "Not mine", "price": "1.00", "stock": 1},
        headers=forger["customer"]["headers"],
    )
    assert response.status_code == 403


# ---- sessions: refresh-token families ---------------------------------------------------------


def refresh(api, token: str):
    return api.post("/api/auth/refresh", json={"refresh": token})


def test_a_stolen_refresh_token_dies_with_the_victims_next_refresh(forger):
    api = forger["api"]
    victim = drills.register(api, "victim")
    stolen = victim["refresh"]
    thief = refresh(api, stolen)  # the thief uses the stolen token first
    assert thief.status_code == 200, thief.text

    replay = refresh(api, stolen)  # the victim's app refreshes with the token it holds

    assert replay.status_code == 401
    assert replay.headers["content-type"].startswith("application/json") and "detail" in replay.json()
    # The whole family is revoked: the thief's rotated token is dead too.
    assert refresh(api, thief.json()["refresh"]).status_code == 401
    # Logging in again starts a new session that works.
    login = api.post("/api/auth/login", json={"email": victim["email"], "password": drills.PASSWORD})
    assert refresh(api, login.json()["refresh"]).status_code == 200


def test_createadmin_on_an_account_ends_its_sessions(system, forger):
    api = forger["api"]
    account = drills.register(api, "promoted")
    rotated = refresh(api, account["refresh"]).json()["refresh"]

    system.create_admin(account["email"], drills.PASSWORD)

    assert refresh(api, rotated).status_code == 401
    login = api.post("/api/auth/login", json={"email": account["email"], "password": drills.PASSWORD})
    assert login.status_code == 200 and login.json()["role"] == "admin"


def test_the_jwks_publishes_the_key_that_verifies_issued_tokens(forger):
    response = forger["api"].get("/api/auth/jwks.json")

    assert response.status_code == 200
    keys = {key["kid"]: key for key in response.json()["keys"]}
    token = forger["customer"]["token"]
    key = RSAAlgorithm.from_jwk(keys[jwt.get_unverified_header(token)["kid"]])
    claims = jwt.decode(token, key, algorithms=["RS256"], audience=forger["claims"]["aud"])
    assert claims["user_id"] == forger["customer"]["id"]
    assert not any("d" in key or "p" in key for key in keys.values())  # public halves only
