"""Write operations of the products service: each publishes its event and invalidates the cache."""

import logging
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from rest_framework import exceptions

from common.events import publish
from products import cache as product_cache
from products import selectors
from products.models import Product

logger = logging.getLogger(__name__)

EDITABLE_FIELDS = ("name", "description", "price", "category")


class ProductNotFound(exceptions.NotFound):
    default_detail = "Not found."


def money(value: Decimal) -> str:
    """Render an amount as the contract's two-place decimal string, e.g. "1999.00"."""
    return str(Decimal(value).quantize(Decimal("0.01")))


def _timestamp(moment: datetime) -> str:
    """Render an event time with microseconds (JSON encoders keep only milliseconds).

    Consumers order a product's events by these times, so two edits within one
    millisecond must still compare in order.
    """
    return moment.isoformat()


def _invalidate(product_id) -> None:
    product_cache.product_changed(product_id=product_id)


def _locked(product_id) -> Product:
    """Return the product, its row locked until the transaction ends; 404 if there is none."""
    parsed_id = selectors.parse_product_id(product_id)
    if parsed_id is None:
        raise ProductNotFound()
    try:
        return Product.objects.select_for_update().get(pk=parsed_id)
    except Product.DoesNotExist as error:
        raise ProductNotFound() from error


@transaction.atomic
def product_create(
    *, name: str, price: Decimal, stock: int, description: str = "", category: str = ""
) -> Product:
    """Add a product with its initial stock; inventory takes the stock from product-created."""
    product = Product.objects.create(
        name=name, description=description, price=price, category=category, stock=stock
    )
    publish(
        event_type="product-created",
        key=str(product.id),
        data={
            "productId": str(product.id),
            "name": product.name,
            "description": product.description,
            "price": money(product.price),
            "category": product.category,
            "stock": product.stock,
            "createdAt": _timestamp(product.created_at),
        },
    )
    _invalidate(product.id)
    return product


@transaction.atomic
def product_update(*, product_id, **changes) -> Product:
    """Change a product's catalogue fields (name, description, price, category).

    Publishes product-updated with the full new state, unless nothing changed.
    """
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {', '.join(sorted(unknown))}")
    product = _locked(product_id)
    changed = [field for field, value in changes.items() if getattr(product, field) != value]
    if not changed:
        return product
    for field in changed:
        setattr(product, field, changes[field])
    product.save(update_fields=[*changed, "updated_at"])
    publish(
        event_type="product-updated",
        key=str(product.id),
        data={
            "productId": str(product.id),
            "name": product.name,
            "description": product.description,
            "price": money(product.price),
            "category": product.category,
            "updatedAt": _timestamp(product.updated_at),
        },
    )
    _invalidate(product.id)
    return product


@transaction.atomic
def product_delete(*, product_id) -> None:
    """Remove a product from the catalogue and announce it."""
    product = _locked(product_id)
    deleted_id = product.id
    product.delete()
    publish(
        event_type="product-deleted",
        key=str(deleted_id),
        data={"productId": str(deleted_id), "deletedAt": _timestamp(timezone.now())},
    )
    _invalidate(deleted_id)


@transaction.atomic
def product_set_stock(*, product_id, available: int, changed_at: datetime) -> bool:
    """Mirror the inventory's available stock; ignore a change older than the one applied.

    Returns whether the product changed. A change for an unknown product (deleted since,
    say) is logged and ignored rather than dead-lettered.
    """
    parsed_id = selectors.parse_product_id(product_id)
    if parsed_id is None or not Product.objects.filter(pk=parsed_id).exists():
        logger.warning("stock change for unknown product ignored", extra={"product_id": str(product_id)})
        return False
    newer = Q(stock_changed_at__isnull=True) | Q(stock_changed_at__lte=changed_at)
    current = Product.objects.filter(pk=parsed_id).filter(newer)
    # The same stock (e.g. the echo of a new product's initial stock) keeps cached reads.
    differs = current.exclude(stock=available).exists()
    updated = current.update(stock=available, stock_changed_at=changed_at)
    if not updated:
        logger.info("stale stock change ignored", extra={"product_id": str(parsed_id)})
        return False
    if differs:
        _invalidate(parsed_id)
    return differs
