"""Every operation's schema documents its error answers, with the shared JSON bodies."""

import pytest
from rest_framework import serializers

from common.schema import constrain_request_field
from http_fixtures import use_own_cache_prefix


@pytest.fixture(autouse=True)
def _own_cache(settings):
    yield from use_own_cache_prefix(settings)


@pytest.fixture
def schema(client):
    response = client.get("/api/testsvc/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def test_an_operation_with_a_body_documents_its_errors(schema):
    post = schema["paths"]["/api/testsvc/echo/"]["post"]["responses"]

    # AllowAny, yet it authenticates: a bad token is a 401.
    assert set(post) == {"200", "400", "401", "413", "414", "415", "429", "503"}
    assert post["400"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ValidationError"
    }
    for status in ("413", "415", "429", "503"):
        assert post[status]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/ErrorDetail"
        }


def test_a_read_without_parameters_documents_only_what_it_can_answer(schema):
    get = schema["paths"]["/api/testsvc/echo/"]["get"]["responses"]

    assert set(get) == {"200", "401", "414", "429", "503"}


def test_the_error_bodies_are_shared_components(schema):
    components = schema["components"]["schemas"]

    assert components["ErrorDetail"]["required"] == ["detail"]
    assert components["ErrorDetail"]["properties"]["detail"]["type"] == "string"
    assert components["ValidationError"]["type"] == "object"


@pytest.mark.parametrize(
    ("field", "accepted", "refused"),
    [
        (serializers.CharField(), ["a", " a ", "ü"], ["", "   ", "a\x00b"]),
        (serializers.CharField(allow_blank=True), ["a", " "], ["a\x00"]),
        (
            serializers.DecimalField(max_digits=10, decimal_places=2, min_value=0),
            ["0", "12345678.99"],
            ["-1", "", ".", "1.234"],
        ),
        (serializers.DecimalField(max_digits=5, decimal_places=2), ["-1.5", "999.99"], ["1000", "-"]),
    ],
    ids=["char", "char-blank", "decimal-non-negative", "decimal-signed"],
)
def test_request_fields_are_documented_as_strictly_as_they_are_validated(field, accepted, refused):
    import re

    schema = {"type": "string"}
    constrain_request_field(field, schema)

    pattern = re.compile(schema["pattern"])
    assert all(pattern.search(value) for value in accepted), schema
    assert not any(pattern.search(value) for value in refused), schema
    for value in accepted:
        field.run_validation(value)
