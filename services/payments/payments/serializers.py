"""Output shape of the payments API."""

from rest_framework import serializers

from payments.models import Payment


class PaymentOutputSerializer(serializers.ModelSerializer):
    order = serializers.CharField(source="order_id")
    status = serializers.ChoiceField(
        source="public_status", choices=["SUCCESS", "FAILED", "REFUNDED"], read_only=True
    )

    class Meta:
        model = Payment
        fields = ["id", "order", "amount", "status", "created_at"]
