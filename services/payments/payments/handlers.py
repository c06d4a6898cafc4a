"""Events the payments service consumes: charge new orders, refund rejected or cancelled ones.

Each handler takes the batch's events of its type at once and only records intents;
`payments.effects` calls the provider after the commit.
"""

from decimal import Decimal

from common.events import Event, batch
from payments import services
from payments.services import ChargeRequest, RefundRequest


@batch
def on_order_created(events: list[Event]) -> None:
    services.payment_record_charges(
        requests=[
            ChargeRequest(
                event=event,
                order_id=event.data["orderId"],
                user_id=event.data["userId"],
                amount=Decimal(event.data["totalAmount"]),
                token=event.data["paymentMethod"],
                items=event.data["items"],
            )
            for event in events
        ]
    )


@batch
def on_order_cancelled(events: list[Event]) -> None:
    services.payment_request_refunds(
        requests=[
            RefundRequest(
                event=event,
                order_id=event.data["orderId"],
                reason=event.data["reason"],
                void_if_unpaid=True,
                user_id=event.data["userId"],
                amount=Decimal(event.data["totalAmount"]),
            )
            for event in events
        ]
    )


@batch
def on_inventory_rejected(events: list[Event]) -> None:
    services.payment_request_refunds(
        requests=[
            RefundRequest(
                event=event, order_id=event.data["orderId"], reason=event.data["reason"], void_if_unpaid=False
            )
            for event in events
        ]
    )


HANDLERS = {
    "order-created": on_order_created,
    "order-cancelled": on_order_cancelled,
    "inventory-rejected": on_inventory_rejected,
}
