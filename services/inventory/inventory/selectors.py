"""Read operations of the inventory service."""

from inventory.models import StockItem


def stock_get(*, product_id: str) -> StockItem | None:
    """Return the stock of a product still in the catalogue, or None."""
    return StockItem.objects.filter(product_id=product_id, deleted_at__isnull=True).first()
