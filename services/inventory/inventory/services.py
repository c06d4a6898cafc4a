"""Write operations of the inventory service: every stock change publishes `stock-changed`."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from rest_framework import exceptions

from common.bulk import bulk_update
from common.events import Event, publish, publish_many
from inventory.models import OrderReservation, StockItem

Status = OrderReservation.Status


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


# --- the saga: paid orders take their stock, cancelled ones give it back, a batch at a time ---
#
# Lock order, the same for every batch and every replica: the batch's reservations (by order
# id), then its stock rows (by product id). So two consumers never wait on each other in a
# cycle, whatever orders and products their batches share.


@dataclass(frozen=True)
class OrderStock:
    """One order's lines (for a deduction), and the event that asked (for its trace)."""

    order_id: str
    cause: Event
    items: tuple = ()


@dataclass
class _Batch:
    stock: dict
    reservations: dict
    new: list = field(default_factory=list)
    changed: set = field(default_factory=set)
    events: list = field(default_factory=list)

    def answer(self, reservation: OrderReservation, cause: Event) -> None:
        """Publish what happened to the order's stock (again, for a repeat: a stalled saga resumes)."""
        data = {"orderId": reservation.order_id, "items": reservation.items}
        if reservation.status == Status.DEDUCTED:
            data["updatedAt"] = reservation.updated_at or timezone.now()
            self.events.append(("inventory-updated", reservation.order_id, data, cause))
        elif reservation.status == Status.REJECTED:
            data |= {"reason": "out_of_stock", "rejectedAt": reservation.updated_at or timezone.now()}
            self.events.append(("inventory-rejected", reservation.order_id, data, cause))

    def take(self, lines: list[dict]) -> bool:
        """Take every line from the locked stock, or nothing."""
        rows = [self.stock.get(line["product"]) for line in lines]
        if any(
            row is None or row.available < line["quantity"] for row, line in zip(rows, lines, strict=True)
        ):
            return False
        for row, line in zip(rows, lines, strict=True):
            row.available -= line["quantity"]
            self.changed.add(row.product_id)
        return True

    def save(self) -> None:
        now = timezone.now()
        OrderReservation.objects.bulk_create(self.new)
        changed = [self.stock[product_id] for product_id in sorted(self.changed)]
        for row in changed:
            row.updated_at = now
        bulk_update(changed, ["available", "updated_at"])
        self.events += [("stock-changed", row.product_id, _stock_changed(row, now), None) for row in changed]
        publish_many(self.events)


def _stock_changed(row: StockItem, now) -> dict:
    return {"productId": row.product_id, "available": row.available, "changedAt": now}


def _locked_batch(order_ids: list[str], product_ids) -> _Batch:
    reservations = {
        r.order_id: r
        for r in OrderReservation.objects.select_for_update()
        .filter(order_id__in=sorted(set(order_ids)))
        .order_by("order_id")
    }
    products = sorted(set(product_ids) | {line["product"] for r in reservations.values() for line in r.items})
    stock = {
        row.product_id: row
        for row in StockItem.objects.select_for_update()
        .filter(product_id__in=products)
        .order_by("product_id")
    }
    return _Batch(stock=stock, reservations=reservations)


@transaction.atomic
def stock_deduct_for_orders(*, orders: list[OrderStock]) -> None:
    """Deduct all lines of each paid order, or none; answer `inventory-updated` or `inventory-rejected`.

    The order's reservation row makes this happen once per order. A repeat answers with the
    recorded outcome under a new event id (so `retry_stalled` moves an order whose answer
    was lost); an order cancelled before its payment arrived stays untouched.
    """
    batch = _locked_batch([o.order_id for o in orders], (str(i["product"]) for o in orders for i in o.items))
    for order in orders:
        reservation = batch.reservations.get(order.order_id)
        if reservation is None:
            lines = _merged_lines(list(order.items))
            live = all(
                line["product"] in batch.stock and batch.stock[line["product"]].deleted_at is None
                for line in lines
            )
            status = Status.DEDUCTED if live and batch.take(lines) else Status.REJECTED
            reservation = OrderReservation(order_id=order.order_id, status=status, items=lines)
            batch.reservations[order.order_id] = reservation
            batch.new.append(reservation)
        batch.answer(reservation, order.cause)
    batch.save()


@transaction.atomic
def stock_restore_for_orders(*, orders: list[OrderStock]) -> None:
    """Give back each cancelled order's deducted stock, once; one not deducted yet is blocked for good."""
    batch = _locked_batch([o.order_id for o in orders], ())
    restored = []
    for order in orders:
        reservation = batch.reservations.get(order.order_id)
        if reservation is None:
            reservation = OrderReservation(order_id=order.order_id, status=Status.CANCELLED, items=[])
            batch.reservations[order.order_id] = reservation
            batch.new.append(reservation)
        elif reservation.status == Status.DEDUCTED:
            for line in reservation.items:
                row = batch.stock.get(line["product"])
                if row is not None:
                    row.available += line["quantity"]
                    batch.changed.add(row.product_id)
            reservation.status = Status.RESTORED
            reservation.updated_at = timezone.now()
            restored.append(reservation)
    if restored:
        bulk_update(restored, ["status", "updated_at"])
    batch.save()
