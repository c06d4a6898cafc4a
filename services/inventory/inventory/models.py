"""Stock per product, and what the saga did with each order's stock."""

from django.db import models


class StockItem(models.Model):
    """How many units of one product can still be sold; never below zero (a database check)."""

    product_id = models.CharField(max_length=64, primary_key=True)
    name = models.CharField(max_length=200, blank=True, default="")
    available = models.PositiveIntegerField(default=0)
    deleted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["product_id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(available__gte=0), name="stock_available_not_negative")
        ]

    def __str__(self) -> str:
        return f"{self.name or self.product_id}: {self.available}"


class OrderReservation(models.Model):
    """The one record per order of what happened to its stock: the saga's business-key idempotency.

    Unique on the order id, so a repeated `payment-completed` (a new event id for the same
    order) never deducts twice, and a cancel that arrives before the payment blocks the
    deduction.
    """

    class Status(models.TextChoices):
        DEDUCTED = "DEDUCTED", "Deducted"
        REJECTED = "REJECTED", "Rejected (out of stock)"
        RESTORED = "RESTORED", "Restored after cancellation"
        CANCELLED = "CANCELLED", "Cancelled before payment"

    order_id = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=16, choices=Status.choices)
    items = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"order {self.order_id}: {self.status}"
