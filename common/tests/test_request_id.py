import io
import json
import logging
import re

import pytest
from pythonjsonlogger.json import JsonFormatter

from http_fixtures import use_own_cache_prefix

pytestmark = pytest.mark.urls("http_urls")

ECHO = "/api/testsvc/echo/"
GENERATED = re.compile(r"^[0-9a-f]{32}$")


@pytest.fixture(autouse=True)
def _own_cache(settings):
    yield from use_own_cache_prefix(settings)


def test_the_callers_request_id_is_echoed(client):
    response = client.get(ECHO, HTTP_X_REQUEST_ID="trace-123.A:b_c")

    assert response["X-Request-ID"] == "trace-123.A:b_c"


def test_a_request_id_is_made_when_the_caller_sends_none(client):
    first, second = client.get(ECHO), client.get(ECHO)

    assert GENERATED.match(first["X-Request-ID"])
    assert first["X-Request-ID"] != second["X-Request-ID"]


@pytest.mark.parametrize("unsafe", ["has space", "x" * 129, "<script>", "a\tb", "ünïcode", ""])
def test_an_unsafe_request_id_is_replaced_by_a_fresh_one(client, unsafe):
    response = client.get(ECHO, HTTP_X_REQUEST_ID=unsafe)

    assert GENERATED.match(response["X-Request-ID"])


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/nowhere", "/api/testsvc/health"])
def test_every_response_carries_a_request_id(client, path):
    response = client.get(path, HTTP_X_REQUEST_ID="on-every-response")

    assert response["X-Request-ID"] == "on-every-response"


@pytest.fixture
def json_log():
    """Capture what the configured JSON handler writes, with its own formatter and filters."""
    configured = next(
        handler for handler in logging.getLogger().handlers if isinstance(handler.formatter, JsonFormatter)
    )
    stream = io.StringIO()
    capture = logging.StreamHandler(stream)
    capture.setFormatter(configured.formatter)
    for log_filter in configured.filters:
        capture.addFilter(log_filter)
    root = logging.getLogger()
    root.addHandler(capture)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(capture)


def test_the_access_log_is_one_json_line_with_the_request_id(client, json_log):
    client.post(ECHO, {"a": 1}, content_type="application/json", HTTP_X_REQUEST_ID="logged-id-1")

    lines = [line for line in json_log() if line.get("logger") == "common.access"]

    assert len(lines) == 1
    line = lines[0]
    assert line["request_id"] == "logged-id-1"
    assert line["service"] == "testsvc-service"
    assert line["level"] == "INFO"
    assert re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d+\+00:00$", line["time"])
    assert (line["method"], line["path"], line["status"]) == ("POST", ECHO, 200)
    assert isinstance(line["duration_ms"], float | int)


def test_log_lines_written_during_a_request_carry_its_id(client, json_log):
    client.raise_request_exception = False
    client.get("/api/testsvc/drf-crash/", HTTP_X_REQUEST_ID="crash-id-7")

    error_lines = [line for line in json_log() if line.get("level") == "ERROR"]

    assert error_lines
    assert all(line["request_id"] == "crash-id-7" for line in error_lines)
