"""Events the products service consumes: the inventory's stock changes."""

from django.utils.dateparse import parse_datetime

from common.events import Event, batch
from products import services


@batch
def on_stock_changed(events: list[Event]) -> None:
    """Mirror the products' available stock (the newest change wins) and refresh the cache."""
    services.products_set_stock(
        changes=[
            services.StockChange(
                product_id=e.data["productId"],
                available=e.data["available"],
                changed_at=parse_datetime(e.data["changedAt"]),
            )
            for e in events
        ]
    )


HANDLERS = {"stock-changed": on_stock_changed}
