import socket

import pytest

from common.settings.base import DEFAULT_LOGIN_RATE_LIMIT
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _login(api, email, password, ip="10.0.0.1"):
    return api.post("/api/auth/login", {"email": email, "password": password}, format="json", REMOTE_ADDR=ip)


def test_login_returns_200_with_the_same_shape_as_register(api, register):
    account = register(email="login@example.com")

    response = _login(api, "Login@Example.com", PASSWORD)

    assert response.status_code == 200
    data = response.json()
    assert set(data) == {"id", "name", "email", "role", "token", "refresh"}
    assert (data["id"], data["email"], data["role"]) == (account["id"], "login@example.com", "customer")


@pytest.mark.parametrize(
    ("email", "password"),
    [("wrong@example.com", PASSWORD), ("known@example.com", "Not-The-Password-1")],
    ids=["unknown-email", "wrong-password"],
)
def test_login_with_wrong_credentials_is_401_json(api, register, email, password):
    register(email="known@example.com")

    response = _login(api, email, password)

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid email or password."}


def test_login_with_missing_fields_is_400(api):
    response = api.post("/api/auth/login", {"email": "x@example.com"}, format="json")

    assert response.status_code == 400
    assert "password" in response.json()


def test_repeated_failures_for_one_email_are_429_with_retry_after_from_any_ip(api, register, settings):
    settings.LOGIN_RATE_LIMIT = "3/1d"
    register(email="victim@example.com")

    statuses = [
        _login(api, "victim@example.com", "bad-guess", ip=f"10.1.0.{n}").status_code for n in range(3)
    ]
    locked = _login(api, "victim@example.com", "bad-guess", ip="10.1.0.99")

    assert statuses == [401, 401, 401]
    assert locked.status_code == 429
    assert 1 <= int(locked["Retry-After"]) <= 24 * 3600
    assert "detail" in locked.json()
    # The lock is on the account, whatever the password: guessing right does not get through.
    assert _login(api, "victim@example.com", PASSWORD, ip="10.1.0.100").status_code == 429


def test_repeated_failures_from_one_ip_are_429_for_every_email_from_that_ip(api, register, settings):
    settings.LOGIN_RATE_LIMIT = "3/1d"
    register(email="bystander@example.com")

    statuses = [
        _login(api, f"guess{n}@example.com", "bad-guess", ip="10.2.0.1").status_code for n in range(3)
    ]
    locked = _login(api, "guess-next@example.com", "bad-guess", ip="10.2.0.1")

    assert statuses == [401, 401, 401]
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) >= 1
    assert _login(api, "bystander@example.com", PASSWORD, ip="10.2.0.1").status_code == 429
    # Another address is not affected, and neither are the emails that were tried.
    assert _login(api, "bystander@example.com", PASSWORD, ip="10.2.0.2").status_code == 200


def test_failures_for_one_email_lock_that_email_but_not_other_accounts_from_the_same_ip(
    api, register, settings
):
    settings.LOGIN_RATE_LIMIT = "3/1d"
    register(email="careless@example.com")
    register(email="colleague@example.com")

    for _ in range(5):
        _login(api, "careless@example.com", "bad-guess", ip="10.3.0.1")

    assert _login(api, "careless@example.com", PASSWORD, ip="10.3.0.1").status_code == 429
    assert _login(api, "colleague@example.com", PASSWORD, ip="10.3.0.1").status_code == 200
    assert _login(api, "colleague@example.com", "bad-guess", ip="10.3.0.1").status_code == 401


def test_the_ip_limit_follows_the_gateway_x_real_ip_header(api, settings):
    settings.LOGIN_RATE_LIMIT = "2/1d"
    for n in range(2):
        api.post(
            "/api/auth/login",
            {"email": f"g{n}@example.com", "password": "bad"},
            format="json",
            HTTP_X_REAL_IP="203.0.113.7",
        )

    same_client = api.post(
        "/api/auth/login",
        {"email": "g9@example.com", "password": "bad"},
        format="json",
        HTTP_X_REAL_IP="203.0.113.7",
    )
    other_client = api.post(
        "/api/auth/login",
        {"email": "g9@example.com", "password": "bad"},
        format="json",
        HTTP_X_REAL_IP="203.0.113.8",
    )

    assert (same_client.status_code, other_client.status_code) == (429, 401)


def test_successful_logins_do_not_count_towards_the_limit(api, register, settings):
    settings.LOGIN_RATE_LIMIT = "2/1d"
    register(email="regular@example.com")

    statuses = [_login(api, "regular@example.com", PASSWORD).status_code for _ in range(5)]

    assert statuses == [200] * 5


def test_login_rate_limit_off_disables_the_lock(api, register, settings):
    settings.LOGIN_RATE_LIMIT = "off"
    register(email="free@example.com")

    statuses = {_login(api, "free@example.com", "bad-guess").status_code for _ in range(6)}

    assert statuses == {401}
    assert _login(api, "free@example.com", PASSWORD).status_code == 200


def test_with_the_default_count_the_eleventh_attempt_after_ten_failures_is_refused(api, register, settings):
    assert DEFAULT_LOGIN_RATE_LIMIT == "10/15m"
    # Same count; a day-long window so that no window boundary falls inside the test.
    settings.LOGIN_RATE_LIMIT = "10/1d"
    register(email="default@example.com")

    statuses = [_login(api, "default@example.com", "bad-guess").status_code for _ in range(11)]

    assert statuses == [401] * 10 + [429]


def test_login_still_works_when_redis_is_unreachable(api, register, settings):
    """The failure counters live in Redis; without it logins go on, unlimited, rather than fail."""
    register(email="redisless@example.com")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead_port = sock.getsockname()[1]
    caches = {name: dict(config) for name, config in settings.CACHES.items()}
    caches["default"]["LOCATION"] = f"redis://127.0.0.1:{dead_port}/0"
    settings.CACHES = caches
    settings.LOGIN_RATE_LIMIT = "1/1d"

    failures = [_login(api, "redisless@example.com", "bad-guess").status_code for _ in range(3)]
    success = _login(api, "redisless@example.com", PASSWORD)

    assert failures == [401, 401, 401]
    assert success.status_code == 200
