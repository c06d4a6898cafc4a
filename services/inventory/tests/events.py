"""Deliver the events inventory consumes, shaped as their producers publish them."""

import uuid

from common.events.testing import deliver
from inventory.handlers import HANDLERS


def new_id() -> str:
    return str(uuid.uuid4())


def create_product(*, stock: int, product_id: str | None = None) -> str:
    """Announce a product the way the products service does; return its id."""
    product_id = product_id or new_id()
    deliver(
        HANDLERS,
        "product-created",
        {
            "productId": product_id,
            "name": f"Product {product_id[:8]}",
            "description": "",
            "price": "10.00",
            "category": "tests",
            "stock": stock,
            "createdAt": "2026-11-26T12:00:00Z",
        },
        key=product_id,
    )
    return product_id


def pay(order_id: str, items: list[tuple[str, int]], *, status: str = "SUCCESS", event_id=None) -> bool:
    """Deliver the `payment-completed` of an order with the given (product, quantity) lines."""
    return deliver(
        HANDLERS,
        "payment-completed",
        {
            "orderId": order_id,
            "paymentId": new_id(),
            "status": status,
            "amount": "10.00",
            "processedAt": "2026-11-26T12:00:01Z",
            "userId": "user-1",
            "items": [{"product": product, "quantity": quantity} for product, quantity in items],
        },
        key=order_id,
        event_id=event_id,
    )


def cancel(order_id: str, items: list[tuple[str, int]], *, previous_status: str = "CONFIRMED") -> bool:
    return deliver(
        HANDLERS,
        "order-cancelled",
        {
            "orderId": order_id,
            "userId": "user-1",
            "userEmail": "user-1@example.com",
            "reason": "customer_request",
            "previousStatus": previous_status,
            "items": [{"product": product, "quantity": quantity} for product, quantity in items],
            "totalAmount": "10.00",
            "cancelledAt": "2026-11-26T12:00:02Z",
        },
        key=order_id,
    )
