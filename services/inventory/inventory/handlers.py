"""Events the inventory service consumes: the catalogue's products and the order saga."""

from common.events import Event
from inventory import services


def on_product_created(event: Event) -> None:
    data = event.data
    services.stock_create(product_id=data["productId"], available=data["stock"], name=data["name"])


def on_product_deleted(event: Event) -> None:
    services.stock_delete(product_id=event.data["productId"])


def on_payment_completed(event: Event) -> None:
    """Deduct a paid order's stock; a failed payment leaves stock alone."""
    if event.data["status"] == "SUCCESS":
        services.stock_deduct_for_order(order_id=event.data["orderId"], items=event.data["items"])


def on_order_cancelled(event: Event) -> None:
    services.stock_restore_for_order(order_id=event.data["orderId"])


HANDLERS = {
    "product-created": on_product_created,
    "product-deleted": on_product_deleted,
    "payment-completed": on_payment_completed,
    "order-cancelled": on_order_cancelled,
}
