import pytest
from django.db import connection

from common.testing import auth_header, make_access_token


def pytest_collection_modifyitems(config, items):
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: row-level concurrency is what it checks")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def admin_headers():
    return auth_header(make_access_token(role="admin"))


@pytest.fixture
def customer_headers():
    return auth_header(make_access_token(role="customer"))
