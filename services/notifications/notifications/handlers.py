"""Events the notifications service consumes: each one a customer should hear about."""

from common.events import Event
from notifications import services
from notifications.models import Notification

CANCELLATION_KINDS = {
    "payment_declined": Notification.Kind.PAYMENT_DECLINED,
    "out_of_stock": Notification.Kind.OUT_OF_STOCK,
    "customer_request": Notification.Kind.ORDER_CANCELLED,
}


def _notify(event: Event, kind: str, *, email: str = "") -> None:
    data = event.data
    services.notification_send(
        kind=kind,
        user_id=data["userId"],
        email=email or data.get("userEmail", ""),
        source_event_id=event.id,
        source_event_type=event.type,
        context={"event": data},
        order_id=data.get("orderId", ""),
    )


def _remember_sender(event: Event) -> None:
    services.recipient_remember(user_id=event.data["userId"], email=event.data.get("userEmail", ""))


def on_user_registered(event: Event) -> None:
    data = event.data
    services.recipient_remember(user_id=data["userId"], email=data["email"], name=data["name"])
    _notify(event, Notification.Kind.WELCOME, email=data["email"])


def on_order_confirmed(event: Event) -> None:
    _remember_sender(event)
    _notify(event, Notification.Kind.ORDER_CONFIRMED)


def on_order_cancelled(event: Event) -> None:
    _remember_sender(event)
    _notify(event, CANCELLATION_KINDS[event.data["reason"]])


def on_order_shipped(event: Event) -> None:
    _remember_sender(event)
    _notify(event, Notification.Kind.ORDER_SHIPPED)


def on_payment_refunded(event: Event) -> None:
    """Tell the customer the money is back; the address comes from the event or an earlier one."""
    _notify(event, Notification.Kind.PAYMENT_REFUNDED)


HANDLERS = {
    "user-registered": on_user_registered,
    "order-confirmed": on_order_confirmed,
    "order-cancelled": on_order_cancelled,
    "order-shipped": on_order_shipped,
    "payment-refunded": on_payment_refunded,
}
