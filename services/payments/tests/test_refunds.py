"""Refunds on stock rejection and cancellation, after commit, retried; a cancelled order is never charged."""

import time

import pytest

from common.events.testing import deliver, published
from payments.effects import payment_refund_due
from payments.handlers import HANDLERS
from payments.models import Payment
from payments.providers import ProviderUnavailable, SimulatorProvider
from payments.simulator.control import simulator_fail_refunds, simulator_restore
from payments.simulator.models import SimulatedCall
from tests.conftest import inventory_rejected, order_cancelled, order_created, run_effects

pytestmark = pytest.mark.django_db


def _payment(order: dict) -> Payment:
    return Payment.objects.get(order_id=order["orderId"])


def _charged(**kwargs) -> dict:
    order = order_created(**kwargs)
    deliver(HANDLERS, "order-created", order)
    run_effects()
    return order


def _refund_calls(payment: Payment) -> list[SimulatedCall]:
    return list(SimulatedCall.objects.filter(idempotency_key=f"refund-{payment.id}"))


def test_stock_rejection_refunds_a_successful_payment_once():
    order = _charged(total="59.97")

    deliver(HANDLERS, "inventory-rejected", inventory_rejected(order))
    assert _payment(order).status == "REFUND_PENDING"
    assert published("payment-refunded") == []
    run_effects()
    deliver(HANDLERS, "order-cancelled", order_cancelled(order, reason="out_of_stock"))
    deliver(HANDLERS, "inventory-rejected", inventory_rejected(order))
    run_effects()

    payment = _payment(order)
    assert payment.status == "REFUNDED"
    [call] = _refund_calls(payment)
    assert (call.requests, payment.refund_reference) == (1, call.reference)
    [refund] = published("payment-refunded")
    assert refund.key == order["orderId"]
    assert refund.payload["paymentId"] == str(payment.id)
    assert (refund.payload["amount"], refund.payload["reason"]) == ("59.97", "out_of_stock")
    assert refund.payload["userId"] == order["userId"]


def test_customer_cancellation_refunds_a_successful_payment():
    order = _charged()

    deliver(HANDLERS, "order-cancelled", order_cancelled(order, previous="CONFIRMED"))
    run_effects()

    assert _payment(order).status == "REFUNDED"
    [refund] = published("payment-refunded")
    assert refund.payload["reason"] == "customer_request"


def test_a_failed_payment_is_not_refunded():
    order = _charged(method="tok_chargeDeclined")

    deliver(
        HANDLERS, "order-cancelled", order_cancelled(order, reason="payment_declined", previous="PENDING")
    )
    run_effects()

    assert _payment(order).status == "FAILED"
    assert published("payment-refunded") == []


def test_an_order_cancelled_before_its_creation_is_handled_is_never_charged(customer):
    order = order_created(user_id=customer.user_id)

    deliver(HANDLERS, "order-cancelled", order_cancelled(order, previous="PENDING"))
    deliver(HANDLERS, "order-created", order)
    run_effects()

    assert _payment(order).status == "VOIDED"
    assert not SimulatedCall.objects.exists()
    assert published("payment-completed") == []
    assert published("payment-refunded") == []
    assert customer.get(f"/api/payments/?order={order['orderId']}").json()["count"] == 0


def test_an_order_cancelled_before_its_charge_was_tried_is_voided_and_never_charged():
    order = order_created()
    deliver(HANDLERS, "order-created", order)

    deliver(HANDLERS, "order-cancelled", order_cancelled(order, previous="PENDING"))
    run_effects()

    assert _payment(order).status == "VOIDED"
    assert not SimulatedCall.objects.exists()
    assert published("payment-completed") == []


def test_an_order_cancelled_while_its_charge_is_in_flight_is_refunded_once_charged():
    order = order_created()
    deliver(HANDLERS, "order-created", order)
    Payment.objects.filter(order_id=order["orderId"]).update(attempts=1)  # a worker has claimed it

    deliver(HANDLERS, "order-cancelled", order_cancelled(order, previous="PENDING"))
    assert _payment(order).status == "PROCESSING"
    run_effects()

    payment = _payment(order)
    assert payment.status == "REFUNDED"
    assert [e.payload["status"] for e in published("payment-completed")] == ["SUCCESS"]
    [refund] = published("payment-refunded")
    assert refund.payload["reason"] == "customer_request"
    assert len(_refund_calls(payment)) == 1


def test_a_rejection_for_an_unknown_order_changes_nothing():
    order = order_created()

    assert deliver(HANDLERS, "inventory-rejected", inventory_rejected(order))
    run_effects()

    assert not Payment.objects.exists()
    assert published() == []


def test_refunds_failing_for_a_while_are_retried_with_backoff_and_refund_once(quick_retries):
    order = _charged()
    simulator_fail_refunds(calls=2)

    deliver(HANDLERS, "inventory-rejected", inventory_rejected(order))
    assert payment_refund_due() == 0  # the provider fails: retried later
    payment = _payment(order)
    assert (payment.status, payment.attempts) == ("REFUND_PENDING", 1)
    assert "simulated outage" in payment.last_error
    assert payment_refund_due() == 0  # not due yet: no call at all
    assert _payment(order).attempts == 1

    time.sleep(quick_retries)
    assert payment_refund_due() == 0  # fails a second time
    time.sleep(quick_retries)
    assert payment_refund_due() == 1

    payment = _payment(order)
    assert (payment.status, payment.attempts, payment.last_error) == ("REFUNDED", 3, "")
    [call] = _refund_calls(payment)
    assert call.requests == 1  # the failed calls never reached a refund
    assert len(published("payment-refunded")) == 1
    assert payment_refund_due() == 0


def test_a_refund_failing_for_too_long_is_parked_until_an_admin_requeues_it(
    quick_retries, settings, admin_client
):
    settings.PAYMENT_MAX_RETRY_SECONDS = 0
    order = _charged()
    simulator_fail_refunds(seconds=3600)
    deliver(HANDLERS, "order-cancelled", order_cancelled(order))

    payment_refund_due()
    time.sleep(quick_retries)
    assert payment_refund_due() == 1  # parked
    payment = _payment(order)
    assert (payment.status, payment.attempts, payment.parked_at is not None) == ("REFUND_PENDING", 2, True)
    time.sleep(quick_retries)
    payment_refund_due()
    assert _payment(order).attempts == 2  # parked: never tried on its own

    listing = admin_client.get("/admin/payments/payments/payment/?call=parked")
    assert order["orderId"] in listing.content.decode()
    simulator_restore()
    admin_client.post(
        "/admin/payments/payments/payment/",
        {"action": "requeue", "_selected_action": [str(payment.id)]},
        follow=True,
    )
    assert payment_refund_due() == 1

    assert _payment(order).status == "REFUNDED"
    assert len(published("payment-refunded")) == 1


def test_the_simulator_outage_switch_fails_the_next_refunds_then_heals():
    simulator_fail_refunds(calls=1)
    simulator = SimulatorProvider(latency_ms=0)
    with pytest.raises(ProviderUnavailable):
        simulator.refund(reference="r", amount=1, idempotency_key="refund-a")
    assert simulator.refund(reference="r", amount=1, idempotency_key="refund-a").succeeded
