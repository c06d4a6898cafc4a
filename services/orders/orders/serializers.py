"""Input and output shapes of the orders API."""

import re
from decimal import Decimal

from rest_framework import serializers
from rest_framework.fields import DateTimeField

from orders.models import Order, OrderItem

MAX_LINES = 100
MAX_QUANTITY = 10_000
DEFAULT_PAYMENT_METHOD = "tok_visa"


class StrictIntegerField(serializers.IntegerField):
    """Accept only a JSON integer: not 1.5, "2", true or 2.0."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictCharField(serializers.CharField):
    """Accept only a JSON string (DRF's CharField would turn 5 into "5")."""

    default_error_messages = {"invalid": "Must be a string."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class OrderLineInputSerializer(serializers.Serializer):
    product = StrictCharField(max_length=64)
    quantity = StrictIntegerField(
        min_value=1,
        max_value=MAX_QUANTITY,
        error_messages={"invalid": "Must be a whole number (a JSON integer) of at least 1."},
    )


class OrderCreateInputSerializer(serializers.Serializer):
    """Only products and quantities are read: a price, name, user or total sent along is ignored."""

    items = serializers.ListField(child=OrderLineInputSerializer(), allow_empty=False, max_length=MAX_LINES)
    payment_method = StrictCharField(required=False, max_length=64, default=DEFAULT_PAYMENT_METHOD)

    def validate_items(self, items):
        seen = set()
        for item in items:
            if item["product"] in seen:
                raise serializers.ValidationError(
                    f"Product {item['product']} appears more than once; send one line per product."
                )
            seen.add(item["product"])
        return items


# What the plain check below accepts: shapes on which the serializer's fields change nothing
# (no whitespace to trim, no null or surrogate characters), anything else goes to it.
_PLAIN_TEXT = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


def _plain_order_input(data) -> dict | None:
    """Return what `OrderCreateInputSerializer` would validate `data` to, or None to let it decide.

    Only a well-formed body of the plainest shape is accepted here; the serializer builds
    (deep-copies) its nested fields for every instance, most of the cost of validating an
    order, so it is left for anything unusual and for every error answer.
    """
    if type(data) is not dict:
        return None
    items, method = data.get("items"), data.get("payment_method", DEFAULT_PAYMENT_METHOD)
    if type(items) is not list or not 0 < len(items) <= MAX_LINES:
        return None
    if type(method) is not str or not _PLAIN_TEXT.fullmatch(method):
        return None
    lines = []
    for item in items:
        if type(item) is not dict:
            return None
        product, quantity = item.get("product"), item.get("quantity")
        if type(product) is not str or not _PLAIN_TEXT.fullmatch(product):
            return None
        if type(quantity) is not int or not 0 < quantity <= MAX_QUANTITY:
            return None
        lines.append({"product": product, "quantity": quantity})
    if len({line["product"] for line in lines}) != len(lines):
        return None
    return {"items": lines, "payment_method": method}


def order_create_input(data) -> dict:
    """Validate a POST /api/orders/ body to `{items: [{product, quantity}], payment_method}`.

    Raises the serializer's ValidationError (its 400 body) for anything invalid.
    """
    validated = _plain_order_input(data)
    if validated is None:
        serializer = OrderCreateInputSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        validated = serializer.validated_data
    return validated


class OrderItemOutputSerializer(serializers.ModelSerializer):
    product = serializers.CharField(source="product_id")

    class Meta:
        model = OrderItem
        fields = ["product", "name", "quantity", "unit_price"]


class OrderOutputSerializer(serializers.ModelSerializer):
    items = OrderItemOutputSerializer(many=True)

    class Meta:
        model = Order
        fields = ["id", "status", "items", "total_amount", "cancellation_reason", "created_at"]


CENTS = Decimal("0.01")
_DATETIME = DateTimeField()


def _money(value: Decimal) -> str:
    return f"{value.quantize(CENTS):f}"


def order_output(order: Order) -> dict:
    """`OrderOutputSerializer(order).data`, built directly (tests compare the two).

    The serializers stay what the API documents (its schema); this is what answers, since
    a ModelSerializer builds its fields anew for every order, which is most of the cost of
    answering POST /api/orders/.
    """
    return {
        "id": str(order.id),
        "status": order.status,
        "items": [
            {
                "product": item.product_id,
                "name": item.name,
                "quantity": item.quantity,
                "unit_price": _money(item.unit_price),
            }
            for item in order.items.all()
        ],
        "total_amount": _money(order.total_amount),
        "cancellation_reason": order.cancellation_reason,
        "created_at": _DATETIME.to_representation(order.created_at),
    }
