"""Keep the orders service's copy of the catalogue: from product events, or fetched once over HTTP."""

import functools
import json
import logging
import re
import urllib.error
import urllib.request
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework import exceptions

from orders.models import CatalogueProduct

logger = logging.getLogger(__name__)

# Product ids are opaque, but only ids of this shape are ever looked up remotely.
PRODUCT_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class CatalogueUnavailable(exceptions.APIException):
    status_code = 503
    default_detail = "The product catalogue is temporarily unavailable. Try again shortly."


@transaction.atomic
def catalogue_product_upsert(*, product_id: str, name: str, price, version_at: datetime) -> CatalogueProduct:
    """Store this version of a product unless a newer one (or its deletion) is already stored."""
    product = CatalogueProduct.objects.select_for_update().filter(id=product_id).first()
    if product is None:
        try:
            with transaction.atomic():
                return CatalogueProduct.objects.create(
                    id=product_id, name=name, price=Decimal(price), version_at=version_at
                )
        except IntegrityError:  # stored concurrently (event vs HTTP fetch): compare versions
            product = CatalogueProduct.objects.select_for_update().get(id=product_id)
    if product.version_at > version_at or product.deleted:
        return product
    product.name, product.price, product.version_at = name, Decimal(price), version_at
    product.save(update_fields=["name", "price", "version_at", "synced_at"])
    return product


@transaction.atomic
def catalogue_product_delete(*, product_id: str, deleted_at: datetime) -> None:
    """Mark a product as no longer orderable (kept so old orders and late events stay coherent)."""
    product, created = CatalogueProduct.objects.select_for_update().get_or_create(
        id=product_id,
        defaults={"name": "", "price": Decimal("0.00"), "version_at": deleted_at, "deleted": True},
    )
    if not created and not product.deleted:
        product.deleted, product.version_at = True, max(product.version_at, deleted_at)
        product.save(update_fields=["deleted", "version_at", "synced_at"])


def _fetch_remote(product_id: str) -> dict | None:
    """GET the product from the products service; None when it does not exist."""
    url = f"{settings.PRODUCTS_SERVICE_URL.rstrip('/')}/api/products/{product_id}/"
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=settings.PRODUCTS_FETCH_TIMEOUT) as response:  # noqa: S310
            return json.loads(response.read(1024 * 1024))
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return None
        logger.warning("product fetch failed", extra={"product_id": product_id, "status": error.code})
        raise CatalogueUnavailable() from error
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as error:
        logger.warning("product fetch failed", extra={"product_id": product_id, "error": str(error)})
        raise CatalogueUnavailable() from error


def catalogue_product_fetch(*, product_id: str) -> CatalogueProduct | None:
    """Fetch a product the copy lacks from the products service and keep it; None if unknown."""
    if not PRODUCT_ID_PATTERN.match(product_id):
        return None
    data = _fetch_remote(product_id)
    if not isinstance(data, dict) or str(data.get("id", "")) != product_id:
        return None
    try:
        price = Decimal(str(data["price"])).quantize(Decimal("0.01"))
        name = str(data["name"])
    except (KeyError, InvalidOperation):
        logger.warning("product fetch returned an unusable product", extra={"product_id": product_id})
        return None
    stamp = data.get("updated_at") or data.get("created_at")
    version_at = (parse_datetime(stamp) if isinstance(stamp, str) else None) or timezone.now()
    product = catalogue_product_upsert(product_id=product_id, name=name, price=price, version_at=version_at)
    return None if product.deleted else product


_RESOLVED_FIELDS = ("id", "name", "price", "deleted")


@functools.cache
def _stored_sql() -> str:
    meta, quote = CatalogueProduct._meta, connection.ops.quote_name
    columns = ", ".join(quote(meta.get_field(name).column) for name in _RESOLVED_FIELDS)
    # Names from the model, quoted; the ids go as one parameter (an array).
    return f"SELECT {columns} FROM {quote(meta.db_table)} WHERE {quote(meta.pk.column)} = ANY(%s)"  # noqa: S608  # nosec B608


def _stored(product_ids: list[str]) -> list[CatalogueProduct]:
    """Read the copy's rows of `product_ids`: on PostgreSQL one fixed query, without the ORM's compile."""
    if connection.vendor != "postgresql":
        return list(CatalogueProduct.objects.filter(id__in=product_ids).only(*_RESOLVED_FIELDS))
    with connection.cursor() as cursor:
        cursor.execute(_stored_sql(), [product_ids])
        rows = cursor.fetchall()
    return [CatalogueProduct.from_db(connection.alias, _RESOLVED_FIELDS, row) for row in rows]


def catalogue_products_resolve(*, product_ids: list[str]) -> dict[str, CatalogueProduct]:
    """Return the orderable products among `product_ids`, fetching those the copy has never seen."""
    known = {product.id: product for product in _stored(product_ids)}
    found = {pid: product for pid, product in known.items() if not product.deleted}
    for product_id in product_ids:
        if product_id not in known:
            product = catalogue_product_fetch(product_id=product_id)
            if product is not None:
                found[product_id] = product
    return found
