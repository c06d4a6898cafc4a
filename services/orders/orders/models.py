"""Orders, their lines and status history, and the local copy of the catalogue they are priced from."""

import uuid

from django.db import models


class CatalogueProduct(models.Model):
    """The orders service's copy of a product, kept current from product events."""

    id = models.CharField(primary_key=True, max_length=64)
    name = models.CharField(max_length=255)
    price = models.DecimalField(max_digits=12, decimal_places=2)
    deleted = models.BooleanField(default=False)
    # Time of the product version stored here (the event's createdAt/updatedAt/deletedAt):
    # an older version arriving later is ignored.
    version_at = models.DateTimeField()
    synced_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.id})"


class Order(models.Model):
    class Status(models.TextChoices):
        PENDING = "PENDING"
        PAID = "PAID"
        CONFIRMED = "CONFIRMED"
        SHIPPED = "SHIPPED"
        CANCELLED = "CANCELLED"

    class CancellationReason(models.TextChoices):
        PAYMENT_DECLINED = "payment_declined"
        OUT_OF_STOCK = "out_of_stock"
        CUSTOMER_REQUEST = "customer_request"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user_id = models.CharField(max_length=64, db_index=True)
    user_email = models.CharField(max_length=254, blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    # NULL (not ""): the API shows `cancellation_reason: null` until the order is cancelled.
    cancellation_reason = models.CharField(  # noqa: DJ001
        max_length=32, choices=CancellationReason.choices, null=True, blank=True
    )
    payment_method = models.CharField(max_length=64)
    total_amount = models.DecimalField(max_digits=16, decimal_places=2)
    # NULL when the client sent no Idempotency-Key, so such orders never collide.
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    payment_id = models.CharField(max_length=64, blank=True, default="")
    refunded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    status_changed_at = models.DateTimeField(db_index=True)
    retry_count = models.PositiveIntegerField(default=0)
    last_retry_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user_id", "idempotency_key"],
                condition=models.Q(idempotency_key__isnull=False),
                name="order_unique_idempotency_key_per_user",
            ),
            models.CheckConstraint(
                condition=models.Q(status="CANCELLED", cancellation_reason__isnull=False)
                | (~models.Q(status="CANCELLED") & models.Q(cancellation_reason__isnull=True)),
                name="order_cancellation_reason_iff_cancelled",
            ),
        ]

    def __str__(self) -> str:
        return f"Order {self.id} ({self.status})"


class OrderItem(models.Model):
    """One line of an order, priced when the order was placed."""

    order = models.ForeignKey(Order, related_name="items", on_delete=models.CASCADE)
    product_id = models.CharField(max_length=64)
    name = models.CharField(max_length=255)
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "product_id"], name="order_item_unique_product"),
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="order_item_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.name}"


class OrderTransition(models.Model):
    """A status change of an order, when it happened and what caused it."""

    order = models.ForeignKey(Order, related_name="transitions", on_delete=models.CASCADE)
    from_status = models.CharField(max_length=16, choices=Order.Status.choices, blank=True, default="")
    to_status = models.CharField(max_length=16, choices=Order.Status.choices)
    reason = models.CharField(max_length=32, blank=True, default="")
    # The ce_id of the event that caused it, or "" for an HTTP/admin action.
    cause_event_id = models.CharField(max_length=128, blank=True, default="")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} -> {self.to_status}"
