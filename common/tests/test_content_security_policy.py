"""Content-Security-Policy: strict for JSON; HTML pages may load exactly their own assets."""

import base64
import hashlib

import pytest

from common.csp import STRICT_POLICY, html_policy, inline_style_hashes
from http_fixtures import use_own_cache_prefix

ECHO = "/api/testsvc/echo/"


@pytest.fixture(autouse=True)
def _own_cache(settings):
    yield from use_own_cache_prefix(settings)


def _directives(policy: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in policy.split("; ")}


@pytest.mark.parametrize("path", [ECHO, "/api/testsvc/health", "/no/such/page", "/api/testsvc/schema/"])
def test_json_answers_carry_the_strict_policy(client, path):
    response = client.get(path, HTTP_ACCEPT="application/json")

    assert "text/html" not in response["Content-Type"]
    assert response["Content-Security-Policy"] == STRICT_POLICY


@pytest.mark.parametrize("path", [ECHO, "/api/testsvc/docs/"])
def test_html_pages_may_load_only_their_own_assets(client, path):
    response = client.get(path, HTTP_ACCEPT="text/html")

    assert response["Content-Type"].startswith("text/html")
    policy = _directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == ["'self'"]  # no inline script, no other origin
    assert policy["style-src"][:2] == ["'self'", "'unsafe-hashes'"]
    assert all(source.startswith("'sha256-") for source in policy["style-src"][2:])
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert policy["frame-ancestors"] == ["'none'"]


def test_the_inline_styles_allowed_are_those_of_the_installed_templates():
    swagger_style = (
        "\n      html { box-sizing: border-box; overflow-y: scroll; }\n"
        "      *, *:after, *:before { box-sizing: inherit; }\n"
        "      body { background: #fafafa; margin: 0; }\n    "
    )
    drf_dropdown = "float: right; margin-right: 10px"

    allowed = inline_style_hashes()

    for style in (swagger_style, drf_dropdown):
        source = f"'sha256-{base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()}'"
        assert source in allowed, style
    assert "'sha256-" + base64.b64encode(hashlib.sha256(b"color: red").digest()).decode() + "'" not in allowed
    assert html_policy().count("'sha256-") == len(allowed)
