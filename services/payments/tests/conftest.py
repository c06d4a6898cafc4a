"""Fixtures of the payments service's tests: callers with tokens and order-created payloads."""

import uuid

import pytest
from django.utils import timezone

from common.auth import ROLE_ADMIN
from common.testing import ApiCaller, private_cache_prefix
from payments.effects import payment_process_due, payment_refund_due


@pytest.fixture(autouse=True)
def isolated_cache(settings):
    """Give each test its own Redis key prefix (Redis is shared; it is never flushed)."""
    with private_cache_prefix(settings, "payments"):
        yield


@pytest.fixture
def customer(db):
    return ApiCaller()


@pytest.fixture
def other_customer(db):
    return ApiCaller()


@pytest.fixture
def admin(db):
    return ApiCaller(role=ROLE_ADMIN)


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


def run_effects() -> int:
    """Run the worker's provider effects once each, as it does after a committed batch."""
    return payment_process_due() + payment_refund_due()


@pytest.fixture
def quick_retries(settings):
    """Retry a failed provider call after ~0.1 s (the default backoff starts at 1 s)."""
    settings.PAYMENT_RETRY_BASE_SECONDS = 0.1
    settings.PAYMENT_RETRY_CAP_SECONDS = 0.1
    return 0.1 * 1.2  # the longest backoff (±10 % jitter), with a margin
