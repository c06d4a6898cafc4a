"""Write operations of the payments service: decide charges and refunds inside the event batch.

Nothing here calls the provider. A batch of `order-created` records one PROCESSING payment
per new order (the charge intent); a batch of `order-cancelled` / `inventory-rejected`
turns SUCCESS payments into REFUND_PENDING (the refund intent). `payments.effects` makes
the calls after the commit. Each batch locks all the payment rows it touches in one
`SELECT … FOR UPDATE`, ordered by order id (the same order in every replica).
"""

import logging
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from common.bulk import bulk_update
from common.events import Event, publish_many
from payments.models import Payment

logger = logging.getLogger(__name__)

Status = Payment.Status


@dataclass(frozen=True)
class ChargeRequest:
    event: Event
    order_id: str
    user_id: str
    amount: Decimal
    token: str
    items: list


@dataclass(frozen=True)
class RefundRequest:
    event: Event
    order_id: str
    reason: str
    void_if_unpaid: bool  # the order was cancelled: one never charged is voided, never charged later
    user_id: str = ""
    amount: Decimal | None = None


def payment_completed_spec(payment: Payment, *, cause: Event | None) -> tuple:
    """The `payment-completed` event of a charged payment, for publish/publish_many."""
    charged = payment.status != Status.FAILED
    data = {
        "orderId": payment.order_id,
        "paymentId": str(payment.id),
        "status": Status.SUCCESS if charged else Status.FAILED,
        "amount": payment.amount,
        "processedAt": payment.processed_at,
        "userId": payment.user_id,
        "items": payment.items,
    }
    if not charged:
        data["reason"] = payment.failure_reason
    return ("payment-completed", payment.order_id, data, cause)


def _locked(order_ids) -> dict[str, Payment]:
    rows = Payment.objects.select_for_update().filter(order_id__in=set(order_ids)).order_by("order_id")
    return {payment.order_id: payment for payment in rows}


def _intent_of(event: Event) -> dict:
    return {"correlation_id": event.correlation_id or "", "trace_headers": dict(event.context)}


@transaction.atomic
def payment_record_charges(*, requests: list[ChargeRequest]) -> list[Payment]:
    """Record a PROCESSING payment (a charge due now) for each order not seen before.

    A repeat for an order already charged re-publishes its result (new event id), so a
    stalled saga retried by the orders service resumes; a repeat for a charge that was
    parked re-queues it; a voided (cancelled) or refunded order is never charged.
    """
    payments = _locked(r.order_id for r in requests)
    now = timezone.now()
    new, answers, requeued = [], [], []
    for request in requests:
        payment = payments.get(request.order_id)
        if payment is None:
            lines = [{"product": i["product"], "quantity": i["quantity"]} for i in request.items]
            payment = Payment(
                order_id=request.order_id,
                user_id=request.user_id,
                amount=request.amount,
                status=Status.PROCESSING,
                payment_method=request.token,
                items=lines,
                next_attempt_at=now,
                **_intent_of(request.event),
            )
            payments[request.order_id] = payment
            new.append(payment)
        elif payment.status in (Status.SUCCESS, Status.FAILED):
            answers.append(payment_completed_spec(payment, cause=request.event))
        elif payment.status == Status.PROCESSING and payment.parked_at is not None:
            requeued.append(payment.id)
        else:
            logger.info("order already handled; not charged again", extra={"order_id": request.order_id})
    # ignore_conflicts: a row another replica inserted meanwhile is the same intent.
    Payment.objects.bulk_create(new, ignore_conflicts=True)
    if requeued:
        payment_requeue(payment_ids=requeued)
    publish_many(answers)
    return new


def _refund(payment: Payment, request: RefundRequest, now) -> bool:
    """Turn `payment` into what `request` asks of it; return whether it changed."""
    if payment.status == Status.SUCCESS:
        payment.status = Status.REFUND_PENDING
        payment.refund_reason, payment.refund_requested_at = request.reason, now
        payment.attempts, payment.first_failed_at, payment.last_error, payment.parked_at = 0, None, "", None
        payment.next_attempt_at = now
        for field, value in _intent_of(request.event).items():
            setattr(payment, field, value)
        return True
    if payment.status == Status.PROCESSING and payment.refund_requested_at is None:
        if payment.attempts == 0 and request.void_if_unpaid:
            # No charge was ever tried (a try claims the row first, under this lock): void it.
            payment.status, payment.refund_reason = Status.VOIDED, request.reason
            payment.next_attempt_at = None
        else:
            # A charge may be in flight: once it is recorded, a success is refunded.
            payment.refund_reason, payment.refund_requested_at = request.reason, now
        return True
    return False


REFUND_FIELDS = [
    "status",
    "refund_reason",
    "refund_requested_at",
    "attempts",
    "first_failed_at",
    "last_error",
    "parked_at",
    "next_attempt_at",
    "correlation_id",
    "trace_headers",
]


@transaction.atomic
def payment_request_refunds(*, requests: list[RefundRequest]) -> None:
    """Ask for each order's successful payment to be refunded (REFUND_PENDING), once.

    With `void_if_unpaid` (the order was cancelled) an order not charged yet is recorded
    as VOIDED, so an `order-created` handled later never charges it. A failed, voided,
    refunded or already pending payment is left as it is.
    """
    payments = _locked(r.order_id for r in requests)
    now = timezone.now()
    voided, changed = [], {}
    for request in requests:
        payment = payments.get(request.order_id)
        if payment is None:
            if not request.void_if_unpaid:
                logger.warning(
                    "refund asked for an order without payment", extra={"order_id": request.order_id}
                )
                continue
            payment = Payment(
                order_id=request.order_id,
                user_id=request.user_id,
                amount=request.amount or Decimal("0.00"),
                status=Status.VOIDED,
                refund_reason=request.reason,
            )
            payments[request.order_id] = payment
            voided.append(payment)
        elif _refund(payment, request, now):
            changed[payment.id] = payment
    Payment.objects.bulk_create(voided, ignore_conflicts=True)
    bulk_update(list(changed.values()), REFUND_FIELDS)


@transaction.atomic
def payment_requeue(*, payment_ids: list) -> int:
    """Take parked charges or refunds up again, due now; return how many."""
    return Payment.objects.filter(
        id__in=payment_ids, status__in=Payment.DUE_STATUSES, parked_at__isnull=False
    ).update(parked_at=None, first_failed_at=None, next_attempt_at=timezone.now())
