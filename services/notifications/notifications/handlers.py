"""Events the notifications service consumes: each one a customer should hear about.

Every handler takes a whole batch of one event type (`@batch`) and records its emails as
PENDING notifications in bulk; `notifications.effects` sends them after the commit.
"""

from common.events import Event, batch
from notifications import services
from notifications.models import Notification
from notifications.services import Intent, Sender

Kind = Notification.Kind

CANCELLATION_KINDS = {
    "payment_declined": Kind.PAYMENT_DECLINED,
    "out_of_stock": Kind.OUT_OF_STOCK,
    "customer_request": Kind.ORDER_CANCELLED,
}


def _order_intent(event: Event, kind: str) -> Intent:
    data = event.data
    return Intent(
        event=event,
        kind=kind,
        user_id=data["userId"],
        email=data.get("userEmail", ""),
        order_id=data.get("orderId", ""),
    )


def _senders(events: list[Event]) -> list[Sender]:
    return [Sender(user_id=e.data["userId"], email=e.data.get("userEmail", "")) for e in events]


@batch
def on_user_registered(events: list[Event]) -> None:
    senders = [Sender(user_id=e.data["userId"], email=e.data["email"], name=e.data["name"]) for e in events]
    intents = [
        Intent(event=e, kind=Kind.WELCOME, user_id=e.data["userId"], email=e.data["email"]) for e in events
    ]
    services.notification_record_many(intents=intents, senders=senders)


@batch
def on_order_confirmed(events: list[Event]) -> None:
    intents = [_order_intent(e, Kind.ORDER_CONFIRMED) for e in events]
    services.notification_record_many(intents=intents, senders=_senders(events))


@batch
def on_order_cancelled(events: list[Event]) -> None:
    intents = [_order_intent(e, CANCELLATION_KINDS[e.data["reason"]]) for e in events]
    services.notification_record_many(intents=intents, senders=_senders(events))


@batch
def on_order_shipped(events: list[Event]) -> None:
    intents = [_order_intent(e, Kind.ORDER_SHIPPED) for e in events]
    services.notification_record_many(intents=intents, senders=_senders(events))


@batch
def on_payment_refunded(events: list[Event]) -> None:
    """Tell the customer the money is back; the address comes from the event or an earlier one."""
    intents = [_order_intent(e, Kind.PAYMENT_REFUNDED) for e in events]
    services.notification_record_many(intents=intents)


HANDLERS = {
    "user-registered": on_user_registered,
    "order-confirmed": on_order_confirmed,
    "order-cancelled": on_order_cancelled,
    "order-shipped": on_order_shipped,
    "payment-refunded": on_payment_refunded,
}
