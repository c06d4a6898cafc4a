"""Read operations of the products service; API reads go through the read-aside cache."""

import uuid

from django.core.paginator import InvalidPage, Paginator
from rest_framework.exceptions import NotFound

from products import cache as product_cache
from products import entries
from products.filters import ProductFilter
from products.models import Product
from products.serializers import ProductOutputSerializer


def parse_product_id(value) -> uuid.UUID | None:
    """Return `value` as a UUID, or None when it cannot be a product id."""
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


def product_queryset():
    return Product.objects.all()


def product_get(*, product_id) -> Product | None:
    product_id = parse_product_id(product_id)
    if product_id is None:
        return None
    try:
        return Product.objects.get(pk=product_id)
    except Product.DoesNotExist:
        return None


def product_data(*, product_id) -> dict | None:
    """Return the API representation of a product from the database, or None."""
    product = product_get(product_id=product_id)
    return None if product is None else dict(ProductOutputSerializer(product).data)


def product_detail(*, product_id: uuid.UUID) -> product_cache.Cached:
    """Return the product's cache entry (products/entries.py; a 404 when it does not exist)."""
    return product_cache.read_through(
        lambda: product_cache.detail_key(product_id),
        lambda: entries.detail_entry(product_data(product_id=product_id)),
    )


def product_page(
    *, filterset: ProductFilter, query: list[tuple[str, list[str]]], page: str, page_size: int
) -> product_cache.Cached:
    """Return the cache entry of one page of the filtered list (products/entries.py).

    `query` is the request's query parameters (the page's name in the cache, as the fast
    path of products/middleware.py computes it too); `filterset` must be valid; `page` is a
    page number or "last". An invalid page raises NotFound (and is not cached).
    """
    return product_cache.read_page_through(
        product_cache.list_digest(query),
        lambda: entries.page_entry(_load_page(filterset.qs, page, page_size)),
    )


def _load_page(queryset, page: str, page_size: int) -> dict:
    paginator = Paginator(queryset, page_size)
    try:
        current = paginator.page(paginator.num_pages if page == "last" else page)
    except InvalidPage as error:
        raise NotFound("Invalid page.") from error
    return {
        "count": paginator.count,
        "page": current.number,
        "num_pages": paginator.num_pages,
        "results": [dict(row) for row in ProductOutputSerializer(current.object_list, many=True).data],
    }
