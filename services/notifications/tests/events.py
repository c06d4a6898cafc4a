"""Deliver the events notifications consumes, shaped as their producers publish them."""

import uuid

from common.events.testing import deliver, make_event
from notifications.effects import notification_send_due
from notifications.handlers import HANDLERS

ITEMS = [{"product": "p-1", "name": "Blue mug", "quantity": 2, "price": "12.50"}]


def new_id() -> str:
    return str(uuid.uuid4())


def send_due() -> int:
    """Run the worker's mail effect once, as it does after a committed batch."""
    return notification_send_due()


def user_registered(user_id: str, email: str, *, name: str = "Ann", event_id=None) -> bool:
    data = {"userId": user_id, "email": email, "name": name, "registeredAt": "2026-11-26T12:00:00Z"}
    return deliver(HANDLERS, "user-registered", data, key=user_id, event_id=event_id)


def order_confirmed_data(order_id: str, user_id: str, email: str) -> dict:
    return {
        "orderId": order_id,
        "userId": user_id,
        "userEmail": email,
        "totalAmount": "25.00",
        "items": ITEMS,
        "confirmedAt": "2026-11-26T12:00:02Z",
    }


def order_confirmed_event(order_id: str, user_id: str, email: str):
    return make_event("order-confirmed", order_confirmed_data(order_id, user_id, email), key=order_id)


def order_confirmed(order_id: str, user_id: str, email: str, *, event_id=None) -> bool:
    data = order_confirmed_data(order_id, user_id, email)
    return deliver(HANDLERS, "order-confirmed", data, key=order_id, event_id=event_id)


def order_cancelled(order_id: str, user_id: str, email: str, *, reason: str) -> bool:
    data = {
        "orderId": order_id,
        "userId": user_id,
        "userEmail": email,
        "reason": reason,
        "previousStatus": "PAID",
        "items": [{"product": "p-1", "quantity": 2}],
        "totalAmount": "25.00",
        "cancelledAt": "2026-11-26T12:00:03Z",
    }
    return deliver(HANDLERS, "order-cancelled", data, key=order_id)


def payment_refunded_data(order_id: str, user_id: str, **extra) -> dict:
    return {
        "orderId": order_id,
        "paymentId": new_id(),
        "amount": "25.00",
        "userId": user_id,
        "refundedAt": "2026-11-26T12:00:04Z",
        "reason": "out_of_stock",
        **extra,
    }


def payment_refunded(order_id: str, user_id: str, **extra) -> bool:
    data = payment_refunded_data(order_id, user_id, **extra)
    return deliver(HANDLERS, "payment-refunded", data, key=order_id)


def order_shipped(order_id: str, user_id: str, email: str) -> bool:
    data = {"orderId": order_id, "userId": user_id, "userEmail": email, "shippedAt": "2026-11-26T12:00:05Z"}
    return deliver(HANDLERS, "order-shipped", data, key=order_id)
