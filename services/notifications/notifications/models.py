"""Emails sent to customers, and the addresses they go to."""

import uuid

from django.db import models


class Notification(models.Model):
    """One email sent because of one event: unique on that event's id, so never sent twice."""

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
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user_id", "-created_at"], name="notification_user_recent_idx")]

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
