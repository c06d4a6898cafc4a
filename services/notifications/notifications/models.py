"""Emails to customers (recorded in the event's transaction, sent after it), and their addresses."""

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone


def message_id_for(notification_id) -> str:
    """The mail's Message-ID: stable per notification, so a repeated send is recognisable."""
    return f"<{notification_id}@commercex>"


class Notification(models.Model):
    """One email because of one event: unique on that event's id, so never recorded twice.

    Recorded PENDING by the event handler; `notification_send_due` (notifications.effects)
    sends it after the commit and marks it SENT right after the SMTP server accepted it.
    A 5xx refusal makes it FAILED (and dead-letters its source event); a transient failure
    is retried with backoff until NOTIFICATION_MAX_RETRY_SECONDS, then it is PARKED (an
    admin action re-queues it).
    """

    class Status(models.TextChoices):
        PENDING = "PENDING", "Pending"
        SENT = "SENT", "Sent"
        FAILED = "FAILED", "Failed (refused for good)"
        PARKED = "PARKED", "Parked (kept failing)"

    class Kind(models.TextChoices):
        WELCOME = "welcome", "Welcome"
        ORDER_CONFIRMED = "order_confirmed", "Order confirmed"
        PAYMENT_DECLINED = "payment_declined", "Payment declined"
        OUT_OF_STOCK = "out_of_stock", "Cancelled: out of stock"
        ORDER_CANCELLED = "order_cancelled", "Cancelled at the customer's request"
        PAYMENT_REFUNDED = "payment_refunded", "Payment refunded"
        ORDER_SHIPPED = "order_shipped", "Order shipped"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user_id = models.CharField(max_length=64, db_index=True)
    email = models.EmailField()
    kind = models.CharField(max_length=32, choices=Kind.choices)
    subject = models.CharField(max_length=255)
    body = models.TextField()
    order_id = models.CharField(max_length=64, blank=True, default="")
    source_event_id = models.CharField(max_length=128, unique=True)
    source_event_type = models.CharField(max_length=100)
    # The source event's key and payload: what a dead letter of it needs.
    source_event_key = models.CharField(max_length=200, blank=True, default="")
    source_event_data = models.JSONField(default=dict, blank=True)
    # Carried on to `notification-sent`: the source event's correlation id and trace context.
    correlation_id = models.CharField(max_length=128, blank=True, default="")
    trace_headers = models.JSONField(default=dict, blank=True)
    message_id = models.CharField(max_length=255, unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    first_failed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user_id", "-created_at"], name="notification_user_recent_idx"),
            models.Index(
                fields=["next_attempt_at"], name="notification_due_idx", condition=Q(status="PENDING")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.email}"


class Recipient(models.Model):
    """The latest known address of a user, learnt from events, for events that carry none."""

    user_id = models.CharField(max_length=64, primary_key=True)
    email = models.EmailField()
    name = models.CharField(max_length=150, blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user_id} <{self.email}>"
