import httpx
import pytest

from http_fixtures import unreachable_database, use_own_cache_prefix

pytestmark = [pytest.mark.django_db, pytest.mark.urls("http_urls")]


@pytest.fixture(autouse=True)
def _own_cache(settings):
    """Rate-limit counters of this test's requests go to a key prefix of its own."""
    yield from use_own_cache_prefix(settings)


HEALTH = "/api/testsvc/health"


def test_health_is_up_with_the_database_connected(client):
    response = client.get(HEALTH)

    assert response.status_code == 200
    assert response.json() == {"status": "UP", "service": "testsvc-service", "db": "CONNECTED"}


def test_health_accepts_a_trailing_slash(client):
    assert client.get(HEALTH + "/").status_code == 200


def test_health_is_503_with_db_down_while_the_database_is_unreachable(client):
    assert client.get(HEALTH).status_code == 200

    with unreachable_database():
        down = client.get(HEALTH)

    assert down.status_code == 503
    assert down.json() == {"status": "DOWN", "service": "testsvc-service", "db": "DOWN"}
    assert down["X-Request-ID"]
    # Back to normal as soon as the database answers again.
    assert client.get(HEALTH).status_code == 200


@pytest.mark.parametrize("path", ["/api/testsvc/drf-query/", "/api/testsvc/django-query/"])
def test_a_view_that_needs_the_unreachable_database_answers_503_json(client, path):
    with unreachable_database():
        response = client.get(path)

    assert response.status_code == 503
    assert response.json() == {"detail": "Service temporarily unavailable."}
    assert client.get(path).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_health_over_real_http(live_server):
    response = httpx.get(f"{live_server.url}{HEALTH}")

    assert response.status_code == 200
    assert response.json()["db"] == "CONNECTED"
