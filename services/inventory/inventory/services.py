"""Write operations of the inventory service: every stock change publishes `stock-changed`."""

from collections import defaultdict

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from rest_framework import exceptions

from common.events import publish
from inventory.models import OrderReservation, StockItem


class OutOfStock(Exception):
    """A line of an order cannot be covered; the whole deduction rolls back."""


def _publish_stock_changed(*, product_id: str) -> None:
    available = StockItem.objects.values_list("available", flat=True).get(product_id=product_id)
    publish(
        event_type="stock-changed",
        key=product_id,
        data={"productId": product_id, "available": available, "changedAt": timezone.now()},
    )


def _merged_lines(items: list[dict]) -> list[dict]:
    """Sum repeated products and sort by product id, the one lock order that avoids deadlocks."""
    quantities: dict[str, int] = defaultdict(int)
    for item in items:
        quantities[str(item["product"])] += int(item["quantity"])
    return [{"product": product, "quantity": quantities[product]} for product in sorted(quantities)]


@transaction.atomic
def stock_create(*, product_id: str, available: int, name: str = "") -> StockItem:
    """Start tracking a new product with its initial stock; a repeated announcement changes nothing."""
    item, created = StockItem.objects.get_or_create(
        product_id=product_id, defaults={"available": available, "name": name}
    )
    if created:
        _publish_stock_changed(product_id=product_id)
    return item


@transaction.atomic
def stock_delete(*, product_id: str) -> None:
    """Stop selling a product removed from the catalogue; the row stays for later restores."""
    StockItem.objects.filter(product_id=product_id, deleted_at__isnull=True).update(deleted_at=timezone.now())


@transaction.atomic
def stock_set(*, product_id: str, available: int) -> StockItem:
    """Set a product's available stock (admin correction) and announce it."""
    item = (
        StockItem.objects.select_for_update().filter(product_id=product_id, deleted_at__isnull=True).first()
    )
    if item is None:
        raise exceptions.NotFound("No stock is kept for this product.")
    item.available = available
    item.save(update_fields=["available", "updated_at"])
    _publish_stock_changed(product_id=product_id)
    return item


def _reservation_locked(order_id: str) -> OrderReservation | None:
    return OrderReservation.objects.select_for_update().filter(order_id=order_id).first()


def _reservation_new(*, order_id: str, status: str, items: list[dict]) -> OrderReservation | None:
    """Insert the order's reservation; None if a concurrent handler inserted it first."""
    try:
        with transaction.atomic():
            return OrderReservation.objects.create(order_id=order_id, status=status, items=items)
    except IntegrityError:
        return None


def _deduct_lines(lines: list[dict]) -> None:
    """Take every line or raise OutOfStock; the conditional UPDATE never lets a row go below zero."""
    for line in lines:
        taken = StockItem.objects.filter(
            product_id=line["product"], deleted_at__isnull=True, available__gte=line["quantity"]
        ).update(available=F("available") - line["quantity"], updated_at=timezone.now())
        if not taken:
            raise OutOfStock(line["product"])


@transaction.atomic
def stock_deduct_for_order(*, order_id: str, items: list[dict]) -> OrderReservation:
    """Deduct all lines of a paid order, or none; publish `inventory-updated` or `inventory-rejected`.

    The order's reservation row makes this happen once per order: a repeated call, or a
    call after the order was cancelled, returns the existing reservation unchanged.
    """
    existing = _reservation_locked(order_id)
    if existing is not None:
        return existing
    lines = _merged_lines(items)
    reservation = _reservation_new(order_id=order_id, status=OrderReservation.Status.DEDUCTED, items=lines)
    if reservation is None:
        return _reservation_locked(order_id)
    try:
        with transaction.atomic():
            _deduct_lines(lines)
    except OutOfStock:
        reservation.status = OrderReservation.Status.REJECTED
        reservation.save(update_fields=["status", "updated_at"])
        publish(
            event_type="inventory-rejected",
            key=order_id,
            data={
                "orderId": order_id,
                "reason": "out_of_stock",
                "items": lines,
                "rejectedAt": timezone.now(),
            },
        )
        return reservation
    publish(
        event_type="inventory-updated",
        key=order_id,
        data={"orderId": order_id, "items": lines, "updatedAt": timezone.now()},
    )
    for line in lines:
        _publish_stock_changed(product_id=line["product"])
    return reservation


@transaction.atomic
def stock_restore_for_order(*, order_id: str) -> OrderReservation:
    """Give back a cancelled order's deducted stock, once; if nothing was deducted yet, block it."""
    reservation = _reservation_locked(order_id)
    if reservation is None:
        reservation = _reservation_new(order_id=order_id, status=OrderReservation.Status.CANCELLED, items=[])
        if reservation is not None:
            return reservation
        reservation = _reservation_locked(order_id)
    if reservation.status != OrderReservation.Status.DEDUCTED:
        return reservation
    for line in reservation.items:  # stored sorted by product id: the same lock order as deduction
        StockItem.objects.filter(product_id=line["product"]).update(
            available=F("available") + line["quantity"], updated_at=timezone.now()
        )
    reservation.status = OrderReservation.Status.RESTORED
    reservation.save(update_fields=["status", "updated_at"])
    for line in reservation.items:
        if StockItem.objects.filter(product_id=line["product"]).exists():
            _publish_stock_changed(product_id=line["product"])
    return reservation
