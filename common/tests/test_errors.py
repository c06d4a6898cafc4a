import httpx
import pytest
from django.test import Client

from http_fixtures import use_own_cache_prefix

pytestmark = pytest.mark.urls("http_urls")


@pytest.fixture(autouse=True)
def _own_cache(settings):
    """Rate-limit counters of this test's requests go to a key prefix of its own."""
    yield from use_own_cache_prefix(settings)


ECHO = "/api/testsvc/echo/"


def _assert_json(response, status):
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    return response.json()


def test_unknown_path_is_404_json(client):
    assert _assert_json(client.get("/no/such/page"), 404) == {"detail": "Not found."}


def test_wrong_method_is_405_json(client):
    body = _assert_json(client.put(ECHO, {}, content_type="application/json"), 405)

    assert "detail" in body


def test_wrong_method_on_health_is_405_json(client):
    response = client.post("/api/testsvc/health")

    assert _assert_json(response, 405)["detail"]
    assert response["Allow"] == "GET, HEAD"


def test_malformed_json_is_400_field_shaped(client):
    body = _assert_json(client.post(ECHO, '{"broken": ', content_type="application/json"), 400)

    assert isinstance(body["non_field_errors"], list) and body["non_field_errors"]


def test_an_unsupported_content_type_is_415_json(client):
    assert "detail" in _assert_json(client.post(ECHO, "a=1", content_type="text/plain"), 415)


def test_a_body_over_one_mib_is_413_json(client):
    big = '{"x": "' + "a" * (1024 * 1024) + '"}'

    assert "detail" in _assert_json(client.post(ECHO, big, content_type="application/json"), 413)


def test_a_body_just_under_one_mib_is_accepted(client):
    body = '{"x": "' + "a" * (1024 * 1024 - 20) + '"}'

    assert _assert_json(client.post(ECHO, body, content_type="application/json"), 200)


@pytest.mark.parametrize("path", ["/api/testsvc/drf-crash/", "/api/testsvc/django-crash/"])
def test_an_unexpected_error_is_500_json_without_details(path):
    client = Client(raise_request_exception=False)

    body = _assert_json(client.get(path), 500)

    assert body == {"detail": "Internal server error."}


def test_errors_over_real_http_are_json_with_security_headers(live_server):
    with httpx.Client(base_url=live_server.url) as http:
        responses = {
            404: http.get("/missing"),
            405: http.delete(ECHO),
            400: http.post(ECHO, content=b"{nope", headers={"Content-Type": "application/json"}),
            500: http.get("/api/testsvc/django-crash/"),
        }

    for status, response in responses.items():
        assert response.status_code == status
        assert response.headers["Content-Type"].startswith("application/json")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Request-ID"]
        assert response.json()
