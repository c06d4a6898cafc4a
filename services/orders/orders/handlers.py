"""Events the orders service consumes: the catalogue copy and every step of the order saga."""

from datetime import UTC, datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from common.events import Event, batch
from orders import catalogue, saga, services


def _time(value: str) -> datetime:
    """Parse an event's ISO 8601 time; a time without a zone is taken as UTC."""
    moment = parse_datetime(value)
    if moment is None:
        raise ValueError(f"not an ISO 8601 time: {value!r}")
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment, UTC)


def on_product_created(event: Event) -> None:
    data = event.data
    catalogue.catalogue_product_upsert(
        product_id=data["productId"],
        name=data["name"],
        price=data["price"],
        version_at=_time(data["createdAt"]),
    )


def on_product_updated(event: Event) -> None:
    data = event.data
    catalogue.catalogue_product_upsert(
        product_id=data["productId"],
        name=data["name"],
        price=data["price"],
        version_at=_time(data["updatedAt"]),
    )


def on_product_deleted(event: Event) -> None:
    catalogue.catalogue_product_delete(
        product_id=event.data["productId"], deleted_at=_time(event.data["deletedAt"])
    )


@batch
def on_payment_completed(events: list[Event]) -> None:
    saga.orders_apply_payments(
        answers=[
            saga.Answer(
                order_id=e.data["orderId"],
                cause=e,
                succeeded=e.data["status"] == "SUCCESS",
                payment_id=e.data["paymentId"],
            )
            for e in events
        ]
    )


def on_payment_refunded(event: Event) -> None:
    services.order_record_refund(
        order_id=event.data["orderId"],
        payment_id=event.data["paymentId"],
        refunded_at=_time(event.data["refundedAt"]),
    )


@batch
def on_inventory_updated(events: list[Event]) -> None:
    saga.orders_confirm(answers=[saga.Answer(order_id=e.data["orderId"], cause=e) for e in events])


@batch
def on_inventory_rejected(events: list[Event]) -> None:
    saga.orders_reject_for_stock(answers=[saga.Answer(order_id=e.data["orderId"], cause=e) for e in events])


HANDLERS = {
    "product-created": on_product_created,
    "product-updated": on_product_updated,
    "product-deleted": on_product_deleted,
    "payment-completed": on_payment_completed,
    "payment-refunded": on_payment_refunded,
    "inventory-updated": on_inventory_updated,
    "inventory-rejected": on_inventory_rejected,
}
