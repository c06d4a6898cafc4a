import pytest

from http_fixtures import use_own_cache_prefix


@pytest.fixture(autouse=True)
def _own_cache(settings):
    """Rate-limit counters of this test's requests go to a key prefix of its own."""
    yield from use_own_cache_prefix(settings)


def test_the_schema_is_served_as_openapi(client):
    response = client.get("/api/testsvc/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/testsvc/echo/" in schema["paths"]


def test_swagger_ui_is_served_with_local_assets(client):
    response = client.get("/api/testsvc/docs/")

    assert response.status_code == 200
    assert b"swagger-ui" in response.content
    assert b"/static/testsvc/drf_spectacular_sidecar/" in response.content


@pytest.mark.urls("http_urls")
def test_the_browsable_api_stays_on_for_browsers(client):
    response = client.get("/api/testsvc/echo/", HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
