"""GET /health on the service's own port answers like /api/<service>/health."""

import pytest

from http_fixtures import unreachable_database, use_own_cache_prefix

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _own_cache(settings):
    yield from use_own_cache_prefix(settings)


@pytest.mark.parametrize("path", ["/health", "/health/"])
def test_health_on_the_port_has_the_services_health_body(client, path):
    response = client.get(path)

    assert response.status_code == 200
    assert response.json() == client.get("/api/testsvc/health").json()
    assert response.json() == {"status": "UP", "service": "testsvc-service", "db": "CONNECTED"}


def test_health_on_the_port_is_503_while_the_database_is_unreachable(client):
    with unreachable_database():
        response = client.get("/health")

    assert response.status_code == 503
    assert response.json()["status"] == "DOWN"
