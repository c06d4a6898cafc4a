"""Events the inventory service consumes: the catalogue's products and the order saga."""

from common.events import Event, batch
from inventory import services


def on_product_created(event: Event) -> None:
    data = event.data
    services.stock_create(product_id=data["productId"], available=data["stock"], name=data["name"])


def on_product_deleted(event: Event) -> None:
    services.stock_delete(product_id=event.data["productId"])


@batch
def on_payment_completed(events: list[Event]) -> None:
    """Deduct paid orders' stock; a failed payment leaves stock alone."""
    services.stock_deduct_for_orders(
        orders=[
            services.OrderStock(order_id=e.data["orderId"], cause=e, items=tuple(e.data["items"]))
            for e in events
            if e.data["status"] == "SUCCESS"
        ]
    )


@batch
def on_order_cancelled(events: list[Event]) -> None:
    services.stock_restore_for_orders(
        orders=[services.OrderStock(order_id=e.data["orderId"], cause=e) for e in events]
    )


HANDLERS = {
    "product-created": on_product_created,
    "product-deleted": on_product_deleted,
    "payment-completed": on_payment_completed,
    "order-cancelled": on_order_cancelled,
}
