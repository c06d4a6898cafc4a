"""Write operations of the products service: each publishes its event and invalidates the cache."""

import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from rest_framework import exceptions

from common.bulk import bulk_update
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


def _catalogue_payload(product: Product) -> dict:
    """The product's catalogue fields as product-created and product-updated carry them."""
    return {
        "productId": str(product.id),
        "name": product.name,
        "description": product.description,
        "price": money(product.price),
        "category": product.category,
    }


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
            **_catalogue_payload(product),
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
        data={**_catalogue_payload(product), "updatedAt": _timestamp(product.updated_at)},
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


@dataclass(frozen=True)
class StockChange:
    product_id: str
    available: int
    changed_at: datetime


@transaction.atomic
def products_set_stock(*, changes: list[StockChange]) -> int:
    """Mirror the inventory's available stock for a batch of changes; return how many products changed.

    Per product the newest change wins, and a change older than the one applied is ignored
    (events may arrive out of order across redeliveries). One locked read over the batch's
    products (in id order), one bulk update, one cache invalidation. A change for an
    unknown product (deleted since, say) is logged and ignored rather than dead-lettered.
    """
    newest: dict = {}
    for change in changes:
        parsed_id = selectors.parse_product_id(change.product_id)
        if parsed_id is not None and (
            parsed_id not in newest or newest[parsed_id].changed_at < change.changed_at
        ):
            newest[parsed_id] = change
    products = list(Product.objects.select_for_update().filter(pk__in=sorted(newest)).order_by("pk"))
    for unknown in {c.product_id for c in changes} - {str(p.pk) for p in products}:
        logger.warning("stock change for unknown product ignored", extra={"product_id": str(unknown)})
    updated, differing = [], []
    for product in products:
        change = newest[product.pk]
        if product.stock_changed_at is not None and product.stock_changed_at > change.changed_at:
            logger.info("stale stock change ignored", extra={"product_id": str(product.pk)})
            continue
        if product.stock != change.available:  # the same stock (e.g. an echo) keeps cached reads
            differing.append(product.pk)
        product.stock, product.stock_changed_at = change.available, change.changed_at
        updated.append(product)
    bulk_update(updated, ["stock", "stock_changed_at"])
    product_cache.products_changed(product_ids=differing)
    return len(differing)
