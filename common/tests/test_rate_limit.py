import pytest

from http_fixtures import dead_port, use_own_cache_prefix

pytestmark = pytest.mark.urls("http_urls")

ECHO = "/api/testsvc/echo/"


@pytest.fixture(autouse=True)
def _own_cache(settings):
    yield from use_own_cache_prefix(settings)


def _get(client, ip="198.51.100.1", path=ECHO):
    return client.get(path, HTTP_X_REAL_IP=ip)


def test_requests_over_the_rate_are_429_json_with_retry_after(client, settings):
    settings.RATE_LIMIT = "3/1d"

    statuses = [_get(client).status_code for _ in range(3)]
    limited = _get(client)

    assert statuses == [200, 200, 200]
    assert limited.status_code == 429
    assert limited.json() == {"detail": "Too many requests. Try again later."}
    assert 1 <= int(limited["Retry-After"]) <= 24 * 3600
    assert limited["X-Request-ID"]
    assert limited["X-Content-Type-Options"] == "nosniff"
    assert limited["X-Frame-Options"] == "DENY"


def test_the_limit_is_per_client_ip(client, settings):
    settings.RATE_LIMIT = "2/1d"
    for _ in range(3):
        _get(client, ip="198.51.100.2")

    assert _get(client, ip="198.51.100.2").status_code == 429
    assert _get(client, ip="198.51.100.3").status_code == 200


def test_without_the_gateway_header_the_socket_peer_is_the_client(client, settings):
    settings.RATE_LIMIT = "1/1d"

    first = client.get(ECHO, REMOTE_ADDR="192.0.2.10")
    second = client.get(ECHO, REMOTE_ADDR="192.0.2.10")
    other = client.get(ECHO, REMOTE_ADDR="192.0.2.11")

    assert (first.status_code, second.status_code, other.status_code) == (200, 429, 200)


def test_a_garbage_gateway_header_falls_back_to_the_socket_peer(client, settings):
    settings.RATE_LIMIT = "1/1d"

    first = client.get(ECHO, HTTP_X_REAL_IP="not-an-ip", REMOTE_ADDR="192.0.2.20")
    second = client.get(ECHO, HTTP_X_REAL_IP="also bad", REMOTE_ADDR="192.0.2.20")

    assert (first.status_code, second.status_code) == (200, 429)


@pytest.mark.django_db
def test_health_checks_are_never_rate_limited(client, settings):
    settings.RATE_LIMIT = "1/1d"

    statuses = {_get(client, path="/api/testsvc/health").status_code for _ in range(4)}

    assert statuses == {200}


def test_rate_limit_off_disables_it(client, settings):
    settings.RATE_LIMIT = "off"

    assert {_get(client).status_code for _ in range(10)} == {200}


def test_rate_limiting_fails_open_when_redis_is_unreachable(client, settings):
    settings.RATE_LIMIT = "1/1d"
    caches = {name: dict(config) for name, config in settings.CACHES.items()}
    caches["default"]["LOCATION"] = f"redis://127.0.0.1:{dead_port()}/0"
    settings.CACHES = caches

    statuses = [_get(client).status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 200]


def test_the_default_rate_is_a_thousand_per_minute():
    from common.settings.base import DEFAULT_RATE_LIMIT

    assert DEFAULT_RATE_LIMIT == "1000/1m"
