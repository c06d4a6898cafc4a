"""Fixtures of the users service's tests: an isolated Redis key space and account helpers."""

import uuid

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher
from rest_framework.test import APIClient

from common.testing import private_cache_prefix

PASSWORD = "Correct-Horse-9-Battery"


class CheapArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2 with test-sized cost: production's 100 MiB per hash makes a suite crawl on 2 cores."""

    time_cost = 1
    memory_cost = 1024
    parallelism = 1


@pytest.fixture(autouse=True)
def cheap_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["tests.conftest.CheapArgon2PasswordHasher"]


@pytest.fixture(autouse=True)
def isolated_cache(settings):
    """Give each test its own Redis key prefix: rate-limit counters never leak between tests.

    Redis is shared with other suites running at the same time, so this test's keys are
    deleted by prefix afterwards; Redis is never flushed.
    """
    with private_cache_prefix(settings, "users"):
        yield


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def register(api, db):
    """Register an account through the API; return the response body."""

    def _register(*, email: str | None = None, password: str = PASSWORD, name: str = "Ada Lovelace", **extra):
        body = {"name": name, "email": email or f"{uuid.uuid4().hex[:12]}@example.com", "password": password}
        response = api.post("/api/auth/register", {**body, **extra}, format="json")
        assert response.status_code == 201, response.content
        return response.json()

    return _register
