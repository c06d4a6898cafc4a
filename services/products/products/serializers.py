"""Input and output shapes of the products API."""

from decimal import Decimal

from rest_framework import serializers

MAX_STOCK = 2_147_483_647


# Declared field by field: building a ModelSerializer's fields costs more on every miss.
class ProductOutputSerializer(serializers.Serializer):
    """A product as the API shows it."""

    id = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    price = serializers.DecimalField(max_digits=10, decimal_places=2, read_only=True)
    category = serializers.CharField(read_only=True)
    stock = serializers.IntegerField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


class ProductUpdateInputSerializer(serializers.Serializer):
    """What an admin may change; `stock` (and anything else) in the body is ignored.

    Stock belongs to the inventory service (PUT /api/inventory/{id}/); the catalogue's
    copy follows its stock-changed events.
    """

    name = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=10_000, required=False, allow_blank=True, default="")
    price = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=Decimal("0"))
    category = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class ProductCreateInputSerializer(ProductUpdateInputSerializer):
    """A new product; `stock` is its initial stock, handed to inventory by product-created."""

    stock = serializers.IntegerField(min_value=0, max_value=MAX_STOCK)
