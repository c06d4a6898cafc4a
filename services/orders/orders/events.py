"""The events the orders service publishes: one payload builder for the order aggregate."""

from orders.models import Order


def order_lines(order: Order, *, priced: bool = True) -> list[dict]:
    """The order's lines as events carry them (with name and price, or only the quantities)."""
    if not priced:
        return [{"product": item.product_id, "quantity": item.quantity} for item in order.items.all()]
    return [
        {"product": item.product_id, "name": item.name, "quantity": item.quantity, "price": item.unit_price}
        for item in order.items.all()
    ]


def order_event(event_type: str, order: Order, *, previous_status: str = "") -> tuple[str, str, dict]:
    """Return `(event_type, key, data)` of an order event, ready for `publish_many`."""
    data = {"orderId": str(order.id), "userId": order.user_id, "userEmail": order.user_email}
    if event_type == "order-created":
        data |= {
            "items": order_lines(order),
            "totalAmount": order.total_amount,
            "paymentMethod": order.payment_method,
            "createdAt": order.created_at,
        }
    elif event_type == "order-confirmed":
        data |= {
            "totalAmount": order.total_amount,
            "items": order_lines(order),
            "confirmedAt": order.status_changed_at,
        }
    elif event_type == "order-cancelled":
        data |= {
            "reason": order.cancellation_reason,
            "previousStatus": previous_status,
            "items": order_lines(order, priced=False),
            "totalAmount": order.total_amount,
            "cancelledAt": order.status_changed_at,
        }
    elif event_type == "order-shipped":
        data |= {"shippedAt": order.status_changed_at}
    else:
        raise ValueError(f"not an order event: {event_type!r}")
    return event_type, str(order.id), data
