"""Events the payments service consumes: charge new orders, refund rejected or cancelled ones."""

from decimal import Decimal

from common.events import Event
from payments import services


def on_order_created(event: Event) -> None:
    data = event.data
    services.payment_charge_order(
        order_id=data["orderId"],
        user_id=data["userId"],
        amount=Decimal(data["totalAmount"]),
        token=data["paymentMethod"],
        items=data["items"],
    )


def on_order_cancelled(event: Event) -> None:
    data = event.data
    services.payment_refund_order(
        order_id=data["orderId"],
        reason=data["reason"],
        void_if_unpaid=True,
        user_id=data["userId"],
        amount=Decimal(data["totalAmount"]),
    )


def on_inventory_rejected(event: Event) -> None:
    services.payment_refund_order(
        order_id=event.data["orderId"], reason=event.data["reason"], void_if_unpaid=False
    )


HANDLERS = {
    "order-created": on_order_created,
    "order-cancelled": on_order_cancelled,
    "inventory-rejected": on_inventory_rejected,
}
