"""Read operations of the orders service."""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from common.auth import is_admin
from orders.models import Order

STALLABLE_STATUSES = (Order.Status.PENDING, Order.Status.PAID)


def order_list(*, user) -> QuerySet[Order]:
    """Return the caller's orders, newest first (an admin's: everyone's)."""
    orders = Order.objects.prefetch_related("items")
    return orders if is_admin(user) else orders.filter(user_id=str(user.id))


def order_get(*, user, order_id: str) -> Order | None:
    """Return the order if it exists and the caller owns it or is an admin; else None."""
    try:
        order_uuid = uuid.UUID(str(order_id))
    except ValueError:
        return None
    return order_list(user=user).filter(id=order_uuid).first()


def order_for_idempotency_key(*, user_id: str, idempotency_key: str) -> Order | None:
    return (
        Order.objects.prefetch_related("items")
        .filter(user_id=user_id, idempotency_key=idempotency_key)
        .first()
    )


def stalled_since(*, timeout_seconds: int | None = None):
    """Return the time before which an unchanged PENDING/PAID order counts as stalled."""
    seconds = settings.SAGA_TIMEOUT_SECONDS if timeout_seconds is None else timeout_seconds
    return timezone.now() - timedelta(seconds=seconds)


def orders_stalled(*, timeout_seconds: int | None = None) -> QuerySet[Order]:
    """Return PENDING/PAID orders whose status has not moved for SAGA_TIMEOUT_SECONDS, oldest first."""
    cutoff = stalled_since(timeout_seconds=timeout_seconds)
    return Order.objects.filter(status__in=STALLABLE_STATUSES, status_changed_at__lt=cutoff).order_by(
        "status_changed_at"
    )
