"""Write operations of the payments service: charge an order once, refund it at most once."""

import logging
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from common.events import publish
from payments.models import Payment
from payments.providers import payment_provider

logger = logging.getLogger(__name__)

Status = Payment.Status


class RefundFailed(Exception):
    """The provider refused a refund; raised so the event is retried and then dead-lettered."""


def _publish_payment_completed(payment: Payment) -> None:
    data = {
        "orderId": payment.order_id,
        "paymentId": str(payment.id),
        "status": payment.status,
        "amount": payment.amount,
        "processedAt": payment.processed_at,
        "userId": payment.user_id,
        "items": payment.items,
    }
    if payment.status == Status.FAILED:
        data["reason"] = payment.failure_reason
    publish(event_type="payment-completed", key=payment.order_id, data=data)


def _claim(*, order_id: str, user_id: str, amount: Decimal, status: str, **fields) -> tuple[Payment, bool]:
    """Insert the order's one payment row, or lock the existing one; return (payment, created).

    The unique order_id makes a concurrent second claim wait for the first to commit and
    then fail, so at most one charge per order ever happens.
    """
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                order_id=order_id, user_id=user_id, amount=amount, status=status, **fields
            )
            return payment, True
    except IntegrityError:
        return Payment.objects.select_for_update().get(order_id=order_id), False


@transaction.atomic
def payment_charge_order(
    *, order_id: str, user_id: str, amount: Decimal, token: str, items: list[dict]
) -> Payment:
    """Charge an order once and publish `payment-completed`.

    A repeat for an order already charged re-publishes its result (with a new event id), so
    a stalled saga retried by the orders service resumes; a voided (cancelled) or refunded
    order is never charged.
    """
    lines = [{"product": item["product"], "quantity": item["quantity"]} for item in items]
    payment, created = _claim(
        order_id=order_id,
        user_id=user_id,
        amount=amount,
        status=Status.PROCESSING,
        payment_method=token,
        items=lines,
    )
    if not created:
        if payment.status in (Status.SUCCESS, Status.FAILED):
            _publish_payment_completed(payment)
        logger.info("order already handled; not charged again", extra={"order_id": order_id})
        return payment
    result = payment_provider().charge(amount=amount, token=token, idempotency_key=f"charge-{order_id}")
    payment.status = Status.SUCCESS if result.succeeded else Status.FAILED
    payment.provider_reference = result.reference
    payment.failure_reason = "" if result.succeeded else (result.reason or "declined")
    payment.processed_at = timezone.now()
    payment.save(update_fields=["status", "provider_reference", "failure_reason", "processed_at"])
    _publish_payment_completed(payment)
    return payment


@transaction.atomic
def payment_refund_order(
    *, order_id: str, reason: str, void_if_unpaid: bool, user_id: str = "", amount: Decimal | None = None
) -> Payment | None:
    """Refund the order's successful payment once and publish `payment-refunded`.

    With `void_if_unpaid` (the order was cancelled) an order not yet charged is recorded as
    voided, so an `order-created` handled later never charges it.
    """
    payment = Payment.objects.select_for_update().filter(order_id=order_id).first()
    if payment is None:
        if not void_if_unpaid:
            logger.warning("refund asked for an order without payment", extra={"order_id": order_id})
            return None
        payment, created = _claim(
            order_id=order_id,
            user_id=user_id,
            amount=amount or Decimal("0.00"),
            status=Status.VOIDED,
            refund_reason=reason,
        )
        if created:
            return payment
    if payment.status != Status.SUCCESS:
        return payment
    result = payment_provider().refund(
        reference=payment.provider_reference, amount=payment.amount, idempotency_key=f"refund-{payment.id}"
    )
    if not result.succeeded:
        raise RefundFailed(f"refund of payment {payment.id} refused: {result.reason}")
    payment.status = Status.REFUNDED
    payment.refund_reason = reason
    payment.refunded_at = timezone.now()
    payment.save(update_fields=["status", "refund_reason", "refunded_at"])
    publish(
        event_type="payment-refunded",
        key=payment.order_id,
        data={
            "orderId": payment.order_id,
            "paymentId": str(payment.id),
            "amount": payment.amount,
            "userId": payment.user_id,
            "refundedAt": payment.refunded_at,
            "reason": reason,
        },
    )
    return payment
