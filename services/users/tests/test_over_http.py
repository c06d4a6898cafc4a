"""The users API end to end over real HTTP against a running server (pytest-django's live_server)."""

import httpx
import pytest

from tests.conftest import PASSWORD


@pytest.fixture
def http(live_server):
    with httpx.Client(base_url=live_server.url, timeout=10) as client:
        yield client


def test_register_login_profile_refresh_over_http(http):
    registered = http.post(
        "/api/auth/register",
        json={"name": "Live User", "email": "Live@Example.com", "password": PASSWORD, "role": "admin"},
    )
    assert registered.status_code == 201
    assert registered.json()["role"] == "customer"

    login = http.post("/api/auth/login", json={"email": "live@example.com", "password": PASSWORD})
    assert login.status_code == 200
    assert set(login.json()) == {"id", "name", "email", "role", "token", "refresh"}

    profile = http.get("/api/users/profile", headers={"Authorization": f"Bearer {login.json()['token']}"})
    assert profile.status_code == 200
    assert profile.json() == {
        "id": registered.json()["id"],
        "name": "Live User",
        "email": "live@example.com",
        "role": "customer",
    }

    refreshed = http.post("/api/auth/refresh", json={"refresh": login.json()["refresh"]})
    assert refreshed.status_code == 200
    assert http.post("/api/auth/refresh", json={"refresh": login.json()["refresh"]}).status_code == 401

    duplicate = http.post(
        "/api/auth/register", json={"name": "X", "email": "live@example.com", "password": PASSWORD}
    )
    assert duplicate.status_code == 400
    assert "email" in duplicate.json()


def test_errors_over_http_are_json_with_the_security_headers(http):
    malformed = http.post(
        "/api/auth/login",
        content=b'{"email": ',
        headers={"Content-Type": "application/json", "X-Request-ID": "abc-1"},
    )
    weak = http.post("/api/auth/register", json={"name": "W", "email": "w@example.com", "password": "123"})
    unauthorized = http.get("/api/users/profile", headers={"Authorization": "Bearer nonsense"})
    wrong = http.post("/api/auth/login", json={"email": "nobody@example.com", "password": "whatever-1"})
    missing = http.get("/api/users/nothing-here")

    assert [r.status_code for r in (malformed, weak, unauthorized, wrong, missing)] == [
        400,
        400,
        401,
        401,
        404,
    ]
    assert malformed.headers["X-Request-ID"] == "abc-1"
    for response in (malformed, weak, unauthorized, wrong, missing):
        assert response.headers["Content-Type"].startswith("application/json")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Request-ID"]
        response.json()


def test_login_lock_over_http_is_429_with_retry_after(http, settings):
    settings.LOGIN_RATE_LIMIT = "2/1d"

    statuses = [
        http.post("/api/auth/login", json={"email": "lock@example.com", "password": "bad-guess"}).status_code
        for _ in range(3)
    ]
    locked = http.post("/api/auth/login", json={"email": "lock@example.com", "password": "bad-guess"})

    assert statuses == [401, 401, 429]
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) >= 1
    assert locked.headers["X-Frame-Options"] == "DENY"


def test_health_over_http(http):
    response = http.get("/api/users/health")

    assert response.status_code == 200
    assert response.json() == {"status": "UP", "service": "users-service", "db": "CONNECTED"}
