"""Outside effects of the payments service: provider calls, after the commit, each with its key.

- `payment_process_due`: each due PROCESSING payment is charged with the idempotency key
  `charge-<order id>`; SUCCESS/FAILED is recorded and `payment-completed` published. A
  success for an order cancelled meanwhile goes on to REFUND_PENDING.
- `payment_refund_due`: each due REFUND_PENDING payment is refunded with the key
  `refund-<payment id>`; then REFUNDED and `payment-refunded`.

Rows are claimed in a short transaction (`SELECT … FOR UPDATE SKIP LOCKED`, then
`next_attempt_at` moved PAYMENT_CLAIM_SECONDS ahead and `attempts` counted), so two
replicas never call the provider for the same row at once; a worker dying mid-call leaves
the row due again once the claim runs out, and the provider answers the repeated key with
its first result. The outcomes of a run are recorded in one transaction. A provider error
is retried for that payment only, after `common.backoff.backoff_seconds(attempts)`; one
failing for longer than PAYMENT_MAX_RETRY_SECONDS is parked (admin: filter and re-queue).
"""

import logging
import time
from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from common.backoff import backoff_seconds
from common.bulk import bulk_update
from common.events import Event, publish_many
from common.events.effects import claim_due
from common.observability import metrics, tracing
from payments.models import Payment
from payments.providers import payment_provider
from payments.services import payment_completed_spec

logger = logging.getLogger(__name__)

Status = Payment.Status


def _claim(status: str) -> list[Payment]:
    return claim_due(
        Payment.objects.filter(status=status, parked_at__isnull=True),
        limit=settings.PAYMENT_EFFECT_BATCH,
        claim_seconds=settings.PAYMENT_CLAIM_SECONDS,
        order_by=("next_attempt_at",),
    )


def _cause(payment: Payment, trace_headers: dict) -> Event:
    """The event that asked for the call, as far as its consequences need it (correlation, trace)."""
    return Event(
        id="",
        type="",
        source="",
        time=None,
        key=payment.order_id,
        data={},
        correlation_id=payment.correlation_id,
        context=trace_headers,
    )


def _call_each(rows: list[Payment], name: str, call) -> tuple[list, list, list]:
    """Call the provider for each claimed row, each in the trace of the event that asked for it.

    Return (results, failures, untried rows); a result is (payment, (answer, trace headers)).
    """
    deadline = time.monotonic() + settings.PAYMENT_CLAIM_SECONDS / 2
    results, failures = [], []
    for index, payment in enumerate(rows):
        if time.monotonic() > deadline:
            return results, failures, rows[index:]
        with tracing.continue_trace(f"payment {name}", payment.trace_headers):
            trace_headers = tracing.outgoing_trace_headers()
            try:
                results.append((payment, (call(payment), trace_headers)))
            except Exception as error:  # noqa: BLE001 - any provider error: retried for this payment only
                failures.append((payment, f"{type(error).__name__}: {error}"))
    return results, failures, []


def _retry_or_park(payment: Payment, reason: str, now) -> bool:
    """Schedule the next try with backoff, or park the payment; return True if parked."""
    payment.first_failed_at = payment.first_failed_at or now
    payment.last_error = reason[:2000]
    if now - payment.first_failed_at > timedelta(seconds=settings.PAYMENT_MAX_RETRY_SECONDS):
        payment.parked_at = now
        logger.error(
            "payment call parked",
            extra={"payment_id": str(payment.id), "status": payment.status, "error": reason[:500]},
        )
        return True
    delay = backoff_seconds(
        payment.attempts, base=settings.PAYMENT_RETRY_BASE_SECONDS, cap=settings.PAYMENT_RETRY_CAP_SECONDS
    )
    payment.next_attempt_at = now + timedelta(seconds=delay)
    logger.warning(
        "payment call failed; retried later", extra={"payment_id": str(payment.id), "error": reason}
    )
    return False


OUTCOME_FIELDS = [
    "status",
    "provider_reference",
    "failure_reason",
    "processed_at",
    "refund_reference",
    "refunded_at",
    "attempts",
    "next_attempt_at",
    "first_failed_at",
    "last_error",
    "parked_at",
]


def _settle(effect: str, status: str, results: list, failures: list, untried: list, apply) -> int:
    """Record a run's outcomes in one transaction; return how many payments were settled.

    The rows are read again under lock: a cancellation may have asked for a refund while
    the charge was in flight.
    """
    now = timezone.now()
    with transaction.atomic():
        ids = [p.id for p, _ in [*results, *failures]]
        rows = Payment.objects.select_for_update().filter(id__in=ids, status=status).order_by("order_id")
        fresh = {p.id: p for p in rows}  # locked in the handlers' order: no deadlock with them
        events = []
        for payment, (result, trace_headers) in results:
            if payment.id in fresh:
                events += apply(fresh[payment.id], result, now, trace_headers)
        for payment, reason in failures:
            if payment.id in fresh:
                _retry_or_park(fresh[payment.id], reason, now)
        bulk_update(list(fresh.values()), OUTCOME_FIELDS)
        publish_many(events)
        if untried:  # handed back, due now, their attempt not counted
            Payment.objects.filter(id__in=[p.id for p in untried], status=status).update(
                next_attempt_at=now, attempts=F("attempts") - 1
            )
    return _count(effect, status, list(fresh.values()))


def _count(effect: str, status: str, payments: list[Payment]) -> int:
    """Count the committed outcomes (metrics); return how many payments were settled."""
    outcomes = Counter(
        "parked" if p.parked_at else "retried" if p.status == status else "done" for p in payments
    )
    for outcome, n in outcomes.items():
        metrics.effect_outcome(effect, outcome, n)
    for p in payments:
        if p.status != status:
            metrics.payment_processed(
                "refunded" if effect == "refund" else "declined" if p.status == Status.FAILED else "succeeded"
            )
    return outcomes["parked"] + outcomes["done"]


def _charged(payment: Payment, result, now, trace_headers: dict) -> list[tuple]:
    payment.status = Status.SUCCESS if result.succeeded else Status.FAILED
    payment.provider_reference = result.reference
    payment.failure_reason = "" if result.succeeded else (result.reason or "declined")
    payment.processed_at = now
    payment.next_attempt_at, payment.first_failed_at, payment.last_error = None, None, ""
    events = [payment_completed_spec(payment, cause=_cause(payment, trace_headers))]

    if result.succeeded and payment.refund_requested_at is not None:
        # The order was cancelled while the charge was in flight: refund it now.
        payment.status, payment.attempts, payment.next_attempt_at = Status.REFUND_PENDING, 0, now
    return events


def _refunded(payment: Payment, result, now, trace_headers: dict) -> list[tuple]:
    if not result.succeeded:  # the provider answered, but no: retried like an error
        _retry_or_park(payment, f"refund refused: {result.reason or 'no reason given'}", now)
        return []

    payment.status, payment.refund_reference, payment.refunded_at = Status.REFUNDED, result.reference, now
    payment.next_attempt_at, payment.first_failed_at, payment.last_error = None, None, ""
    data = {
        "orderId": payment.order_id,
        "paymentId": str(payment.id),
        "amount": payment.amount,
        "userId": payment.user_id,
        "refundedAt": now,
        "reason": payment.refund_reason,
    }
    return [("payment-refunded", payment.order_id, data, _cause(payment, trace_headers))]


def payment_process_due() -> int:
    """Charge every due PROCESSING payment once; return how many charges were settled."""
    claimed = _claim(Status.PROCESSING)
    if not claimed:
        return 0
    provider = payment_provider()
    results, failures, untried = _call_each(
        claimed,
        "charge",
        lambda p: provider.charge(
            amount=p.amount, token=p.payment_method, idempotency_key=f"charge-{p.order_id}"
        ),
    )
    return _settle("charge", Status.PROCESSING, results, failures, untried, _charged)


def payment_refund_due() -> int:
    """Refund every due REFUND_PENDING payment once; return how many refunds were settled."""
    claimed = _claim(Status.REFUND_PENDING)
    if not claimed:
        return 0
    provider = payment_provider()
    results, failures, untried = _call_each(
        claimed,
        "refund",
        lambda p: provider.refund(
            reference=p.provider_reference, amount=p.amount, idempotency_key=f"refund-{p.id}"
        ),
    )
    return _settle("refund", Status.REFUND_PENDING, results, failures, untried, _refunded)


EFFECTS = [payment_process_due, payment_refund_due]
