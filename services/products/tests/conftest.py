import os
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from rest_framework.test import APIClient

from common.testing import auth_header, make_access_token, private_cache_prefix
from products import cache as product_cache
from products.models import Product


def pytest_collection_modifyitems(config, items):
    skips = {}
    if connection.vendor != "postgresql":
        skips["postgres_only"] = pytest.mark.skip(reason="needs PostgreSQL (set PRODUCTS_DATABASE_URL)")
    if not os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        skips["broker"] = pytest.mark.skip(reason="needs a broker (set KAFKA_BOOTSTRAP_SERVERS)")
    for item in items:
        for marker, skip in skips.items():
            if marker in item.keywords:
                item.add_marker(skip)


@pytest.fixture(autouse=True)
def isolated_cache(settings):
    """Give every test its own Redis key prefix (never flush the shared Redis)."""
    with private_cache_prefix(settings, "products") as prefix:
        product_cache.reset()
        yield prefix
    product_cache.reset()


def _client(role: str | None) -> APIClient:
    client = APIClient()
    if role:
        client.credentials(**auth_header(make_access_token(role=role)))
    return client


@pytest.fixture
def anon_api() -> APIClient:
    return _client(None)


@pytest.fixture
def customer_api() -> APIClient:
    return _client("customer")


@pytest.fixture
def admin_api() -> APIClient:
    return _client("admin")


@pytest.fixture
def make_product():
    """Create a product row directly (no event, no cache work): for read tests."""

    def make(**fields) -> Product:
        values = {"name": f"Product {uuid.uuid4().hex[:6]}", "price": Decimal("10.00"), "stock": 5}
        values.update(fields)
        return Product.objects.create(**values)

    return make
