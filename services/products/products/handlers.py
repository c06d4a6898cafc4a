"""Events the products service consumes: the inventory's stock changes."""

from django.utils.dateparse import parse_datetime

from common.events import Event
from products import services


def on_stock_changed(event: Event) -> None:
    """Mirror the product's available stock (the newest change wins) and refresh the cache."""
    data = event.data
    services.product_set_stock(
        product_id=data["productId"],
        available=data["available"],
        changed_at=parse_datetime(data["changedAt"]),
    )


HANDLERS = {"stock-changed": on_stock_changed}
