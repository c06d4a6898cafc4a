"""Write operations of the orders service: place, cancel, ship, retry (the saga moves in saga.py)."""

import functools
import logging
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, transaction
from django.utils import timezone
from rest_framework import exceptions

from common.bulk import insert_sql
from common.events import publish, publish_many
from common.observability import metrics, tracing
from orders import catalogue
from orders.events import order_event
from orders.models import Order, OrderItem, OrderTransition

logger = logging.getLogger(__name__)

Status = Order.Status
Reason = Order.CancellationReason
MAX_TOTAL = Decimal("99999999999999.99")  # what Order.total_amount can hold


@dataclass(frozen=True)
class OrderLine:
    product: str
    quantity: int


# --- status machine -------------------------------------------------------------------------


def _transition(order: Order, to_status: str, *, reason: str = "") -> str:
    """Move `order` (locked by the caller) to `to_status`, record the step; return the old status."""
    previous = order.status
    order.status = to_status
    order.cancellation_reason = reason if to_status == Status.CANCELLED else None
    order.status_changed_at = timezone.now()
    order.save(update_fields=["status", "cancellation_reason", "status_changed_at"])
    OrderTransition.objects.create(order=order, from_status=previous, to_status=to_status, reason=reason)
    return previous


def _locked_order(order_id: str) -> Order | None:
    try:
        order_uuid = uuid.UUID(str(order_id))
    except ValueError:
        return None
    return Order.objects.select_for_update().filter(id=order_uuid).first()


def _cancel(order: Order, *, reason: str) -> None:
    previous = _transition(order, Status.CANCELLED, reason=reason)
    _publish(order_event("order-cancelled", order, previous_status=previous))
    if previous in (Status.PENDING, Status.PAID):
        metrics.saga_finished("cancelled", order.created_at)


def _publish(spec: tuple[str, str, dict]) -> None:
    event_type, key, data = spec
    publish(event_type=event_type, key=key, data=data)


# --- placing an order -----------------------------------------------------------------------


def _remember_items(order: Order, items: list[OrderItem]) -> None:
    """Keep the lines just written as `order.items` (as prefetch_related would), so the
    event and the response do not read them back (in the order they were inserted, which
    is their id order)."""
    prefetched = OrderItem.objects.all()
    prefetched._result_cache = items
    prefetched._prefetch_done = True
    order._prefetched_objects_cache = {"items": prefetched}


def _unknown_products_error(lines: list[OrderLine], found: dict) -> exceptions.ValidationError:
    errors = [{} if line.product in found else {"product": ["Unknown product."]} for line in lines]
    return exceptions.ValidationError({"items": errors})


@functools.cache
def _written_fields(model) -> tuple:
    """Return the fields an INSERT of `model` writes: all but an id the database assigns."""
    return tuple(field for field in model._meta.concrete_fields if not field.db_returning)


def _insert_statement(line_count: int) -> str:
    """Return one PostgreSQL statement inserting an order, its `line_count` lines and its first transition.

    Columns come from the models; an auto id is left to the database and not returned.
    """

    def values(model, rows: int) -> str:
        return insert_sql(model, _written_fields(model), rows)

    return (
        f"WITH new_order AS ({values(Order, 1)}), new_lines AS ({values(OrderItem, line_count)}) "
        f"{values(OrderTransition, 1)}"
    )


def _insert(order: Order, items: list[OrderItem], transition: OrderTransition) -> None:
    """Write the order, its lines and its first transition: one statement on PostgreSQL.

    The values go as they are: these models hold only text, numbers, Decimals, datetimes
    and UUIDs, which psycopg adapts itself (get_db_prep_save returns them unchanged there).
    """
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor != "postgresql":
        order.save(force_insert=True)
        OrderItem.objects.bulk_create(items)
        transition.save(force_insert=True)
        return
    rows = (order, *items, transition)
    params = [getattr(obj, field.attname) for obj in rows for field in _written_fields(type(obj))]
    with db.cursor() as cursor:
        cursor.execute(_insert_statement(len(items)), params)
    for obj in rows:
        obj._state.adding, obj._state.db = False, db.alias


def order_place(
    *, user_id: str, user_email: str, lines: list[OrderLine], payment_method: str, idempotency_key: str | None
) -> tuple[Order, bool]:
    """Price `lines` from the catalogue copy and record the order with its `order-created` event.

    Returns (order, created); with an `idempotency_key` this user already used, the first
    order is returned instead of a new one (created False). One read (the catalogue copy),
    then one transaction of two INSERTs on PostgreSQL: the order with its lines and first
    transition (one statement), and the outbox row (publish_many: no savepoint).
    """
    products = catalogue.catalogue_products_resolve(product_ids=[line.product for line in lines])
    if len(products) != len({line.product for line in lines}):
        raise _unknown_products_error(lines, products)
    total = sum((products[line.product].price * line.quantity for line in lines), Decimal("0.00"))
    if total > MAX_TOTAL:
        raise exceptions.ValidationError({"items": ["The order total is too large."]})
    now = timezone.now()
    order = Order(
        user_id=user_id,
        user_email=user_email,
        payment_method=payment_method,
        total_amount=total,
        idempotency_key=idempotency_key,
        created_at=now,
        status_changed_at=now,
    )
    items = [
        OrderItem(
            order=order,
            product_id=line.product,
            name=products[line.product].name,
            quantity=line.quantity,
            unit_price=products[line.product].price,
        )
        for line in lines
    ]
    transition = OrderTransition(order=order, to_status=Status.PENDING, at=now)
    try:
        with transaction.atomic():
            _insert(order, items, transition)
            _remember_items(order, items)
            with tracing.publish_span("order-created"):  # as publish() would trace it
                publish_many([order_event("order-created", order)])
    except IntegrityError:
        if idempotency_key is None:
            raise
        # A concurrent request with the same key committed first: answer with its order.
        existing = Order.objects.filter(user_id=user_id, idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return existing, False
    return order, True


# --- the saga's bookkeeping -----------------------------------------------------------------


@transaction.atomic
def order_record_refund(*, order_id: str, payment_id: str, refunded_at) -> None:
    """Note that the order's payment was refunded (the first refund time is kept)."""
    order = _locked_order(order_id)
    if order is None:
        logger.warning("refund for an unknown order ignored", extra={"order_id": order_id})
        return
    if order.refunded_at is None:
        order.refunded_at = refunded_at
        order.payment_id = order.payment_id or payment_id
        order.save(update_fields=["refunded_at", "payment_id"])


# --- actions by people ----------------------------------------------------------------------


class OrderNotCancellable(exceptions.ValidationError):
    def __init__(self):
        super().__init__({"status": ["A shipped order can no longer be cancelled."]})


@transaction.atomic
def order_cancel(*, order_id) -> Order:
    """Cancel at the customer's (or an admin's) request; cancelling a cancelled order changes nothing."""
    order = _locked_order(order_id)
    if order is None:
        raise exceptions.NotFound()
    if order.status == Status.SHIPPED:
        raise OrderNotCancellable()
    if order.status != Status.CANCELLED:
        _cancel(order, reason=Reason.CUSTOMER_REQUEST)
    return order


class OrderNotShippable(Exception):
    pass


@transaction.atomic
def order_ship(*, order_id) -> Order:
    """Mark a CONFIRMED order shipped and announce it; anything else raises OrderNotShippable."""
    order = _locked_order(order_id)
    if order is None or order.status != Status.CONFIRMED:
        raise OrderNotShippable(f"only a CONFIRMED order can be shipped (order {order_id})")
    _transition(order, Status.SHIPPED)
    _publish(order_event("order-shipped", order))
    return order


@transaction.atomic
def order_retry_saga(*, order_id) -> bool:
    """Re-publish the event a stalled PENDING/PAID order waits on (with a new event id).

    Both wait on the answer to `order-created`: payments charges an order once (by order id)
    and answers a repeat by re-publishing its result, so the saga resumes either way.
    """
    order = _locked_order(order_id)
    if order is None or order.status not in (Status.PENDING, Status.PAID):
        return False
    _publish(order_event("order-created", order))
    order.retry_count += 1
    order.last_retry_at = timezone.now()
    order.save(update_fields=["retry_count", "last_retry_at"])
    return True
