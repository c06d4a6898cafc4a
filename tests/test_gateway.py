"""The gateway's own behaviour: routing, JSON errors, headers, request ids, body limit, logs."""

import json
import uuid

import httpx
import pytest
from system import VAR, existing_services, wait_until

SECURITY_HEADERS = {"x-content-type-options": "nosniff", "x-frame-options": "DENY"}


def assert_security_headers(response):
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get_list(name) == [value], (name, response.headers.get_list(name))
    assert len(response.headers.get_list("x-request-id")) == 1
    assert "nginx/" not in response.headers.get("server", "")


def test_health_answers_up(api):
    response = api.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "UP"}
    assert response.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize("service", existing_services())
def test_every_service_health_is_up_through_the_gateway(api, service):
    response = api.get(f"/api/{service}/health")
    assert response.status_code == 200
    assert response.json() == {"status": "UP", "service": f"{service}-service", "db": "CONNECTED"}


@pytest.mark.parametrize("service", existing_services())
def test_every_service_serves_its_openapi_schema_and_docs(api, service):
    schema = api.get(f"/api/{service}/schema/", headers={"Accept": "application/json"})
    assert schema.status_code == 200
    assert schema.json()["openapi"].startswith("3.")
    docs = api.get(f"/api/{service}/docs/")
    assert docs.status_code == 200
    assert "text/html" in docs.headers["content-type"]
    assert f"/static/{service}/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css" in docs.text


@pytest.mark.parametrize("path", ["/", "/nope", "/api/", "/api/unknown/", "/static/unknown/x.css", "/adminx"])
def test_unknown_paths_answer_404_json(api, path):
    response = api.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    assert "detail" in response.json()
    assert_security_headers(response)


@pytest.mark.parametrize(
    "path", ["/health", "/api/products/", "/api/users/profile", "/nope", "/api/auth/login"]
)
def test_security_headers_appear_once_on_every_response(api, path):
    assert_security_headers(api.get(path))


def test_api_responses_carry_a_strict_content_security_policy(api):
    csp = api.get("/api/products/").headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp


@pytest.mark.parametrize("path", ["/api/products/", "/api/products/docs/", "/admin/products/login/"])
def test_html_pages_may_load_their_own_assets_and_nothing_else(api, path):
    response = api.get(path, headers={"Accept": "text/html"})

    assert response.headers["content-type"].startswith("text/html")
    policies = response.headers.get_list("content-security-policy")
    assert len(policies) == 1, policies
    directives = dict(part.split(" ", 1) for part in policies[0].split("; "))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"].startswith("'self' 'unsafe-hashes' 'sha256-")
    assert "unsafe-inline" not in policies[0]


@pytest.mark.parametrize("service", existing_services())
def test_every_service_answers_health_on_its_own_port(system, service):
    """The original design's walkthrough: `curl http://localhost:3001/health`."""
    port = system.env[f"{service.upper()}_PORT"]

    response = httpx.get(f"http://127.0.0.1:{port}/health", timeout=5)

    assert response.status_code == 200
    assert response.json() == {"status": "UP", "service": f"{service}-service", "db": "CONNECTED"}


def test_request_id_is_echoed_when_sent(api):
    request_id = f"e2e-{uuid.uuid4().hex}"
    for path in ("/api/products/", "/health", "/nope", "/api/users/profile"):
        response = api.get(path, headers={"X-Request-ID": request_id})
        assert response.headers.get_list("x-request-id") == [request_id], path


def test_request_id_is_generated_when_missing_or_unsafe(api):
    first = api.get("/api/products/").headers["x-request-id"]
    second = api.get("/api/products/").headers["x-request-id"]
    assert first and second and first != second
    unsafe = api.get("/api/products/", headers={"X-Request-ID": "bad id <script>"})
    assert unsafe.headers["x-request-id"] != "bad id <script>"


def test_request_id_reaches_the_service_log(api):
    request_id = f"e2e-trace-{uuid.uuid4().hex}"
    api.get("/api/products/", headers={"X-Request-ID": request_id})

    def logged():
        text = (VAR / "log" / "products-web.log").read_text(errors="replace")
        return request_id in text

    wait_until(logged, timeout=5, message="the request id in the products log")


def test_access_log_is_json_with_the_request_id(api):
    request_id = f"e2e-log-{uuid.uuid4().hex}"
    api.get("/health", headers={"X-Request-ID": request_id})

    def entry():
        for line in (VAR / "log" / "gateway-access.log").read_text().splitlines():
            if request_id in line:
                return json.loads(line)
        return None

    record = wait_until(entry, timeout=5, message="the access log line")
    assert record["request_id"] == request_id
    assert record["status"] == 200
    assert record["uri"] == "/health"


def test_body_over_one_mebibyte_answers_413_json(api):
    body = b'{"name": "' + b"x" * (1024 * 1024 + 10) + b'"}'
    response = api.post("/api/auth/register", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/json")
    assert "detail" in response.json()
    assert_security_headers(response)


def test_body_under_the_limit_reaches_the_service(api):
    body = b'{"name": "' + b"x" * (900 * 1024) + b'"}'
    response = api.post("/api/auth/register", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400  # the service validated it: email and password missing
    assert "email" in response.json()


def test_malformed_json_answers_400_json(api):
    response = api.post("/api/auth/login", content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    assert isinstance(response.json(), dict)


def test_admin_sites_are_routed_to_their_services(api):
    for service in ("products", "orders", "users"):
        if service not in existing_services():
            continue
        response = api.get(f"/admin/{service}/login/")
        assert response.status_code == 200, service
        assert f"/static/{service}/admin/css/" in response.text
        css = api.get(f"/static/{service}/admin/css/base.css")
        assert css.status_code == 200
        assert "text/css" in css.headers["content-type"]
