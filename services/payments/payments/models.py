"""One payment per order: charged once, refunded at most once."""

import uuid

from django.db import models


class Payment(models.Model):
    class Status(models.TextChoices):
        # Only inside the charging transaction: the row claims the order before the charge.
        PROCESSING = "PROCESSING"
        SUCCESS = "SUCCESS"
        FAILED = "FAILED"
        REFUNDED = "REFUNDED"
        # The order was cancelled before its order-created was handled: never charge it.
        VOIDED = "VOIDED"

    PUBLIC_STATUSES = (Status.SUCCESS, Status.FAILED, Status.REFUNDED)

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
    refunded_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Payment {self.id} for order {self.order_id} ({self.status})"
