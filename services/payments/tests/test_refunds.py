"""Refunds on stock rejection and cancellation; a cancelled order is never charged."""

import pytest

from common.events.testing import deliver, published
from payments.handlers import HANDLERS
from payments.models import Payment
from tests.conftest import inventory_rejected, order_cancelled, order_created

pytestmark = pytest.mark.django_db


def _status(order: dict) -> str:
    return Payment.objects.get(order_id=order["orderId"]).status


def test_stock_rejection_refunds_a_successful_payment_once():
    order = order_created(total="59.97")
    deliver(HANDLERS, "order-created", order)

    deliver(HANDLERS, "inventory-rejected", inventory_rejected(order))
    deliver(HANDLERS, "order-cancelled", order_cancelled(order, reason="out_of_stock"))
    deliver(HANDLERS, "inventory-rejected", inventory_rejected(order))

    assert _status(order) == "REFUNDED"
    [refund] = published("payment-refunded")
    assert refund.key == order["orderId"]
    assert refund.payload["paymentId"] == str(Payment.objects.get(order_id=order["orderId"]).id)
    assert (refund.payload["amount"], refund.payload["reason"]) == ("59.97", "out_of_stock")
    assert refund.payload["userId"] == order["userId"]


def test_customer_cancellation_refunds_a_successful_payment():
    order = order_created()
    deliver(HANDLERS, "order-created", order)

    deliver(HANDLERS, "order-cancelled", order_cancelled(order, previous="CONFIRMED"))

    assert _status(order) == "REFUNDED"
    [refund] = published("payment-refunded")
    assert refund.payload["reason"] == "customer_request"


def test_a_failed_payment_is_not_refunded():
    order = order_created(method="tok_chargeDeclined")
    deliver(HANDLERS, "order-created", order)

    deliver(
        HANDLERS, "order-cancelled", order_cancelled(order, reason="payment_declined", previous="PENDING")
    )

    assert _status(order) == "FAILED"
    assert published("payment-refunded") == []


def test_an_order_cancelled_before_its_creation_is_handled_is_never_charged(customer):
    order = order_created(user_id=customer.user_id)

    deliver(HANDLERS, "order-cancelled", order_cancelled(order, previous="PENDING"))
    deliver(HANDLERS, "order-created", order)

    assert _status(order) == "VOIDED"
    assert published("payment-completed") == []
    assert published("payment-refunded") == []
    assert customer.get(f"/api/payments/?order={order['orderId']}").json()["count"] == 0


def test_a_rejection_for_an_unknown_order_changes_nothing():
    order = order_created()

    assert deliver(HANDLERS, "inventory-rejected", inventory_rejected(order))

    assert not Payment.objects.exists()
    assert published() == []
