"""One payment per order: charged once, refunded at most once, both after the commit.

The event handlers only record intents (a PROCESSING payment: charge it; REFUND_PENDING:
refund it); `payments.effects` makes the provider calls after the commit, each with a
stable idempotency key, and records their outcome. A call failing for a transient reason
is retried with backoff (`next_attempt_at`, `attempts`, `last_error`); failing for longer
than PAYMENT_MAX_RETRY_SECONDS it is parked (`parked_at`) until an admin re-queues it.
"""

import uuid

from django.db import models
from django.db.models import Q


class Payment(models.Model):
    class Status(models.TextChoices):
        # Recorded by order-created: the charge is due (or in flight) at the provider.
        PROCESSING = "PROCESSING"
        SUCCESS = "SUCCESS"
        FAILED = "FAILED"
        # Charged, and the order was cancelled or rejected: the refund is due at the provider.
        REFUND_PENDING = "REFUND_PENDING"
        REFUNDED = "REFUNDED"
        # The order was cancelled before any charge was tried: never charge it.
        VOIDED = "VOIDED"

    # What GET /api/payments/ lists; a REFUND_PENDING payment is still charged: shown SUCCESS.
    LISTED_STATUSES = (Status.SUCCESS, Status.FAILED, Status.REFUND_PENDING, Status.REFUNDED)
    # The statuses with an outside call due.
    DUE_STATUSES = (Status.PROCESSING, Status.REFUND_PENDING)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Unique: a second order-created (duplicate or retry) can never make a second charge.
    order_id = models.CharField(max_length=64, unique=True)
    user_id = models.CharField(max_length=64, db_index=True)
    amount = models.DecimalField(max_digits=16, decimal_places=2)
    status = models.CharField(max_length=16, choices=Status.choices)
    payment_method = models.CharField(max_length=64, blank=True, default="")
    provider_reference = models.CharField(max_length=128, blank=True, default="")
    failure_reason = models.CharField(max_length=255, blank=True, default="")
    # The order-created payload the charge answered, to re-publish the same result on a retry.
    items = models.JSONField(default=list)
    refund_reason = models.CharField(max_length=64, blank=True, default="")
    # Set when the order was cancelled while its charge was in flight: refund once charged.
    refund_requested_at = models.DateTimeField(null=True, blank=True)
    refund_reference = models.CharField(max_length=128, blank=True, default="")
    refunded_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    # The pending outside call (charge while PROCESSING, refund while REFUND_PENDING).
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    first_failed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    parked_at = models.DateTimeField(null=True, blank=True)
    # Of the event that asked for the pending call: carried on to the events the call ends in.
    correlation_id = models.CharField(max_length=128, blank=True, default="")
    trace_headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="payment_due_idx",
                condition=Q(status__in=["PROCESSING", "REFUND_PENDING"], parked_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"Payment {self.id} for order {self.order_id} ({self.status})"

    @property
    def public_status(self) -> str:
        """The status the API shows: SUCCESS, FAILED or REFUNDED (a pending refund is still SUCCESS)."""
        return self.Status.SUCCESS if self.status == self.Status.REFUND_PENDING else self.status
