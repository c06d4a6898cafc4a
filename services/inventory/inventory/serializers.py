"""Input and output shapes of the inventory API."""

from rest_framework import serializers

# PositiveIntegerField's ceiling on every supported database.
MAX_AVAILABLE = 2_147_483_647


class StrictIntegerField(serializers.IntegerField):
    """Accept only a JSON integer: no strings, booleans or fractional numbers."""

    default_error_messages = {"invalid": "A whole number is required."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")
        if isinstance(data, float) and not data.is_integer():
            self.fail("invalid")
        return super().to_internal_value(int(data))


class StockSetInputSerializer(serializers.Serializer):
    available = StrictIntegerField(min_value=0, max_value=MAX_AVAILABLE)


class StockOutputSerializer(serializers.Serializer):
    product = serializers.CharField(source="product_id")
    available = serializers.IntegerField()
