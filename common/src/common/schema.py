"""Teach drf-spectacular how `common.auth.JWTAuthentication` looks in the OpenAPI schema."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class CommonJWTScheme(SimpleJWTScheme):
    """Document the shared stateless Bearer JWT authentication (registered on import)."""

    target_class = "common.auth.JWTAuthentication"
    name = "jwtAuth"
