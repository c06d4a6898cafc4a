"""Each service's OpenAPI schema (drf-spectacular): error answers and request constraints that are true.

`AutoSchema` (REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]) adds to every operation the error
answers it can give, with the shared JSON bodies of `common.errors`, so no view lists them:

| status | when | body |
| --- | --- | --- |
| 400 | a request body, or a query/header parameter other than paging | `ValidationError` |
| 401 | the view authenticates (a bad or expired token), or the view declares it | `ErrorDetail` |
| 403 | a permission class other than AllowAny/IsAuthenticated can refuse | `ErrorDetail` |
| 404 | a path parameter, or a page past the end of a list | `ErrorDetail` |
| 413, 415 | a request body (over 1 MiB; not JSON) | `ErrorDetail` |
| 414, 429, 503 | every operation (URI of 4,000+ chars; RATE_LIMIT; database down) | `ErrorDetail` |

A status a view declares itself (e.g. login's 401, with `ErrorDetailSerializer`) is kept.
A view may also declare OpenAPI links from its responses to other operations
(`openapi_links = {"POST": {"201": {"name": {"operationId": ..., ...}}}}`), which a
stateful contract test (schemathesis) follows.
Request fields are documented as strictly as they are validated: DRF's CharField refuses
NUL characters and (trimming whitespace) a blank value; a DecimalField
needs at least one digit, and no minus sign when its minimum is 0 or more.
"""

from django.core.validators import RegexValidator
from drf_spectacular import openapi
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import permissions, serializers

PAGING_PARAMETERS = {"page", "page_size"}
BODY_METHODS = {"POST", "PUT", "PATCH"}
# DRF's CharField refuses NUL anywhere (ProhibitNullCharactersValidator). It refuses lone
# surrogates too, but a character class of them is a pattern generators cannot use, and
# JSON text has no lone surrogates but for escapes: those are left out.
_ALLOWED_CHAR = r"[^\u0000]"


class CommonJWTScheme(SimpleJWTScheme):
    """Document the shared stateless Bearer JWT authentication (registered on import)."""

    target_class = "common.auth.JWTAuthentication"
    name = "jwtAuth"


class ErrorDetailSerializer(serializers.Serializer):
    """An error answer: 401, 403, 404, 405, 409, 413, 414, 415, 429 or 503 `{"detail": "..."}`."""

    detail = serializers.CharField()

    class Meta:
        ref_name = "ErrorDetail"


ERROR_DESCRIPTIONS = {
    "400": 'Invalid input: {"field": ["message", ...]}; malformed JSON: {"non_field_errors": [...]}.',
    "401": "No valid credentials: a missing, malformed, expired or forged token (or wrong credentials).",
    "403": "The caller may not do this (e.g. a customer calling an admin operation).",
    "404": "Not found (or not the caller's).",
    "413": "The request body is over 1 MiB.",
    "414": "The request URI is too long (the gateway refuses 4,000 characters or more).",
    "415": "The request body is not JSON.",
    "429": "Too many requests from this client: retry after `Retry-After` seconds.",
    "503": "The service's database is unreachable: retry later.",
}
VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": "Messages per field; non_field_errors for the body as a whole.",
    "additionalProperties": {"oneOf": [{"type": "array", "items": {}}, {"type": "object"}]},
}


def _may_forbid(view, method: str) -> bool:
    """Whether a permission class of `view` can answer an authenticated caller with 403."""
    from common.auth import IsAdminOrReadOnly

    for permission in getattr(view, "permission_classes", []):
        if permission in (permissions.AllowAny, permissions.IsAuthenticated):
            continue
        if permission is IsAdminOrReadOnly and method in permissions.SAFE_METHODS:
            continue
        return True
    return False


def error_statuses(*, view, method: str, operation: dict, paginated: bool) -> list[str]:
    """The error statuses an operation can answer (see the module docstring)."""
    parameters = operation.get("parameters", [])
    has_body = "requestBody" in operation
    statuses = []
    if has_body or any(
        p["in"] in ("query", "header") and p["name"] not in PAGING_PARAMETERS for p in parameters
    ):
        statuses.append("400")
    if getattr(view, "authentication_classes", None):
        statuses.append("401")
    if _may_forbid(view, method):
        statuses.append("403")
    if paginated or any(p["in"] == "path" for p in parameters):
        statuses.append("404")
    if has_body or method in BODY_METHODS:
        statuses.append("413")
    if has_body:
        statuses.append("415")
    return [*statuses, "414", "429", "503"]


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's AutoSchema, with every error answer and truthful request constraints."""

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        paginated = self.method == "GET" and self._is_list_view() and self._get_paginator() is not None
        responses = operation["responses"]
        for status in error_statuses(
            view=self.view, method=self.method, operation=operation, paginated=paginated
        ):
            if status not in responses:
                responses[status] = {
                    "description": ERROR_DESCRIPTIONS[status],
                    "content": {"application/json": {"schema": self._error_schema(status)}},
                }
        # OpenAPI links a view declares (for stateful contract testing): {method: {status: {name: link}}}.
        for status, links in getattr(self.view, "openapi_links", {}).get(self.method, {}).items():
            responses[status]["links"] = links
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _error_schema(self, status: str) -> dict:
        if status == "400":
            component = ResolvedComponent(
                name="ValidationError",
                type=ResolvedComponent.SCHEMA,
                object="ValidationError",
                schema=VALIDATION_ERROR_SCHEMA,
            )
            self.registry.register_on_missing(component)
            return component.ref
        return self.resolve_serializer(ErrorDetailSerializer(), "response").ref

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if direction == "request" and isinstance(schema, dict) and "$ref" not in schema:
            constrain_request_field(field, schema)
        return schema


def constrain_request_field(field, schema: dict) -> None:
    """Narrow a request field's schema to what DRF's validation of `field` accepts."""
    if isinstance(field, serializers.DecimalField) and schema.get("type") == "string":
        whole, places = field.max_whole_digits, field.decimal_places
        if whole is not None and places is not None:
            sign = "" if field.min_value is not None and field.min_value >= 0 else "-?"
            fraction = rf"(?:\.\d{{1,{places}}})?" if places else ""
            schema["pattern"] = rf"^{sign}\d{{1,{whole}}}{fraction}$"
    elif (
        isinstance(field, serializers.CharField)
        and not any(isinstance(validator, RegexValidator) for validator in field.validators)
        and schema.get("type") == "string"
        and "pattern" not in schema
        and "enum" not in schema
        and "format" not in schema
    ):
        if field.allow_blank:
            # drf-spectacular adds the blank value as a second `oneOf` branch.
            schema["pattern"] = rf"^{_ALLOWED_CHAR}+$"
        elif field.trim_whitespace:
            schema["pattern"] = rf"^{_ALLOWED_CHAR}*[^\s\u0000]{_ALLOWED_CHAR}*$"
        else:
            schema["pattern"] = rf"^{_ALLOWED_CHAR}+$"
