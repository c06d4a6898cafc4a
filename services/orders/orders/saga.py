"""The order saga, moved by the answers of payments and inventory, a batch at a time.

Each function takes every answer of one kind in a consumer batch: one `SELECT … FOR UPDATE`
over all the orders they name, locked in id order (the one global order, so two consumer
replicas never deadlock), the moves decided in memory, then one bulk update of the orders,
one bulk insert of their transitions and one insert of the events they cause. An answer
that finds its order already past that step changes nothing (a repeat, or a race the saga
already settled), which is what makes a redelivered answer harmless.
"""

import logging
import uuid
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from common.bulk import bulk_update
from common.events import Event, publish_many
from common.observability import metrics
from orders.events import order_event
from orders.models import Order, OrderTransition

logger = logging.getLogger(__name__)

Status = Order.Status
Reason = Order.CancellationReason
OPEN = (Status.PENDING, Status.PAID)


@dataclass(frozen=True)
class Answer:
    """One step's answer about an order, and the event that brought it (for its trace)."""

    order_id: str
    cause: Event
    succeeded: bool = True
    payment_id: str = ""


@dataclass
class _Moves:
    """The batch's changes, written at the end in a handful of statements."""

    orders: dict = field(default_factory=dict)
    transitions: list = field(default_factory=list)
    events: list = field(default_factory=list)
    finished: list = field(default_factory=list)

    def move(self, order: Order, to_status: str, *, cause: Event, reason: str = "") -> str:
        previous = order.status
        order.status = to_status
        order.cancellation_reason = reason if to_status == Status.CANCELLED else None
        order.status_changed_at = timezone.now()
        self.orders[order.id] = order
        self.transitions.append(
            OrderTransition(
                order=order, from_status=previous, to_status=to_status, reason=reason, cause_event_id=cause.id
            )
        )
        return previous

    def cancel(self, order: Order, *, reason: str, cause: Event) -> None:
        previous = self.move(order, Status.CANCELLED, reason=reason, cause=cause)
        self.events.append((*order_event("order-cancelled", order, previous_status=previous), cause))
        self.finished.append(("cancelled", order.created_at))

    def confirm(self, order: Order, *, cause: Event) -> None:
        self.move(order, Status.CONFIRMED, cause=cause)
        self.events.append((*order_event("order-confirmed", order), cause))
        self.finished.append(("confirmed", order.created_at))

    def save(self) -> None:
        if self.orders:
            bulk_update(
                list(self.orders.values()),
                ["status", "cancellation_reason", "status_changed_at", "payment_id"],
            )
        OrderTransition.objects.bulk_create(self.transitions)
        publish_many(self.events)
        for outcome, started_at in self.finished:
            metrics.saga_finished(outcome, started_at)  # observed once the batch commits


def _locked_orders(order_ids) -> dict[str, Order]:
    """Lock every named order (lines prefetched for the events), in id order; unknown ids are left out."""
    ids = set()
    for order_id in order_ids:
        try:
            ids.add(uuid.UUID(str(order_id)))
        except ValueError:
            continue
    orders = (
        Order.objects.select_for_update().filter(id__in=sorted(ids)).order_by("id").prefetch_related("items")
    )
    return {str(order.id): order for order in orders}


def _each_known(answers: list[Answer], what: str):
    orders = _locked_orders(answer.order_id for answer in answers)
    for answer in answers:
        order = orders.get(str(answer.order_id))
        if order is None:
            logger.warning(f"{what} for an unknown order ignored", extra={"order_id": answer.order_id})
            continue
        yield answer, order


@transaction.atomic
def orders_apply_payments(*, answers: list[Answer]) -> None:
    """Record payment results: SUCCESS → PAID; FAILED → CANCELLED/payment_declined."""
    moves = _Moves()
    for answer, order in _each_known(answers, "payment"):
        if not order.payment_id:
            order.payment_id = answer.payment_id
            moves.orders[order.id] = order
        if order.status != Status.PENDING:
            continue  # PAID already (a repeat), CONFIRMED (stock answered first) or final
        if answer.succeeded:
            moves.move(order, Status.PAID, cause=answer.cause)
        else:
            moves.cancel(order, reason=Reason.PAYMENT_DECLINED, cause=answer.cause)
    moves.save()


@transaction.atomic
def orders_confirm(*, answers: list[Answer]) -> None:
    """Stock was deducted: PENDING or PAID → CONFIRMED, announced with `order-confirmed`."""
    moves = _Moves()
    for answer, order in _each_known(answers, "stock update"):
        if order.status in OPEN:
            moves.confirm(order, cause=answer.cause)
    moves.save()


@transaction.atomic
def orders_reject_for_stock(*, answers: list[Answer]) -> None:
    """Stock was short: PENDING or PAID → CANCELLED/out_of_stock (payments refunds)."""
    moves = _Moves()
    for answer, order in _each_known(answers, "stock rejection"):
        if order.status in OPEN:
            moves.cancel(order, reason=Reason.OUT_OF_STOCK, cause=answer.cause)
    moves.save()
