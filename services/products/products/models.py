"""A catalogue product; its `stock` is a read model of the inventory service."""

import uuid

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.functions import Upper


class Product(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    price = models.DecimalField(max_digits=10, decimal_places=2, validators=[MinValueValidator(0)])
    category = models.CharField(max_length=100, blank=True, default="")
    # Mirrors the inventory service's `available` (stock-changed events); set directly only
    # as the initial stock at creation.
    stock = models.PositiveIntegerField(default=0)
    # `changedAt` of the newest stock-changed event applied, so older ones are ignored.
    stock_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="product_created_idx"),
            models.Index(fields=["price", "id"], name="product_price_idx"),
            models.Index(fields=["name", "id"], name="product_name_idx"),
            models.Index(Upper("category"), name="product_category_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(price__gte=0), name="product_price_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name
