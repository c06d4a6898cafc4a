"""Fixtures of the payments service's tests: callers with tokens and order-created payloads."""

import uuid

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from common.auth import ROLE_ADMIN
from common.testing import make_access_token


@pytest.fixture(autouse=True)
def isolated_cache(settings):
    """Give each test its own Redis key prefix (Redis is shared; it is never flushed)."""
    caches = {name: dict(config) for name, config in settings.CACHES.items()}
    caches["default"]["KEY_PREFIX"] = f"test-payments-{uuid.uuid4().hex}"
    settings.CACHES = caches
    yield
    cache.delete_pattern("*")


class Caller:
    def __init__(self, *, role: str = "customer"):
        self.user_id = str(uuid.uuid4())
        self.client = APIClient()
        token = make_access_token(user_id=self.user_id, role=role)
        self.client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    def get(self, path, **extra):
        return self.client.get(path, **extra)


@pytest.fixture
def customer(db):
    return Caller()


@pytest.fixture
def other_customer(db):
    return Caller()


@pytest.fixture
def admin(db):
    return Caller(role=ROLE_ADMIN)


def order_created(
    *,
    user_id: str | None = None,
    method: str = "tok_visa",
    total: str = "39.98",
) -> dict:
    return {
        "orderId": str(uuid.uuid4()),
        "userId": user_id or str(uuid.uuid4()),
        "userEmail": "ada@example.com",
        "items": [{"product": str(uuid.uuid4()), "name": "Desk lamp", "quantity": 2, "price": "19.99"}],
        "totalAmount": total,
        "paymentMethod": method,
        "createdAt": timezone.now().isoformat(),
    }


def order_cancelled(created: dict, *, reason: str = "customer_request", previous: str = "PAID") -> dict:
    return {
        "orderId": created["orderId"],
        "userId": created["userId"],
        "userEmail": created["userEmail"],
        "reason": reason,
        "previousStatus": previous,
        "items": [{"product": i["product"], "quantity": i["quantity"]} for i in created["items"]],
        "totalAmount": created["totalAmount"],
        "cancelledAt": timezone.now().isoformat(),
    }


def inventory_rejected(created: dict) -> dict:
    return {
        "orderId": created["orderId"],
        "reason": "out_of_stock",
        "items": [{"product": i["product"], "quantity": i["quantity"]} for i in created["items"]],
        "rejectedAt": timezone.now().isoformat(),
    }
