"""A JSON body nested too deeply is malformed input (400), never a 500."""

import pytest

from common.parsers import MAX_DEPTH, nesting_depth_exceeds
from http_fixtures import use_own_cache_prefix

ECHO = "/api/testsvc/echo/"


@pytest.fixture(autouse=True)
def _own_cache(settings):
    yield from use_own_cache_prefix(settings)


def _nested(depth: int, opener: str = "[", closer: str = "]") -> str:
    return opener * depth + closer * depth


@pytest.mark.parametrize(
    "body",
    [_nested(100_000), '{"a":' * 100_000 + "1" + "}" * 100_000, _nested(MAX_DEPTH + 1)],
    ids=["arrays-100000", "objects-100000", "just-past-the-limit"],
)
def test_a_too_deeply_nested_body_is_a_400_like_malformed_json(client, body):
    assert len(body) < 1024 * 1024  # under the body limit: the parser's own refusal

    response = client.post(ECHO, body, content_type="application/json")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert "nested deeper" in response.json()["non_field_errors"][0]


def test_a_body_nested_up_to_the_limit_is_parsed(client):
    response = client.post(ECHO, _nested(MAX_DEPTH), content_type="application/json")

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("value", "deeper"),
    [(1, False), ([], False), ([[[]]], False), ({"a": [{"b": 1}]}, False), ([[[[]]]], True)],
)
def test_nesting_depth_is_measured_over_lists_and_objects(value, deeper):
    assert nesting_depth_exceeds(value, limit=3) is deeper
