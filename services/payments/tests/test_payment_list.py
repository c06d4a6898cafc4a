"""GET /api/payments/?order=: the owner or an admin; anyone else sees nothing."""

import pytest

from common.events.testing import deliver
from payments.handlers import HANDLERS
from payments.models import Payment
from payments.simulator.control import simulator_fail_refunds
from tests.conftest import inventory_rejected, order_created, run_effects

pytestmark = pytest.mark.django_db


def _paid(user_id: str, **kwargs) -> dict:
    order = order_created(user_id=user_id, **kwargs)
    deliver(HANDLERS, "order-created", order)
    run_effects()
    return order


def test_the_owner_sees_the_payment_of_an_order(customer):
    order = _paid(customer.user_id, total="12.34")
    _paid(customer.user_id)

    body = customer.get(f"/api/payments/?order={order['orderId']}").json()

    assert body["count"] == 1
    assert set(body) == {"count", "next", "previous", "results"}
    [payment] = body["results"]
    assert set(payment) == {"id", "order", "amount", "status", "created_at"}
    assert (payment["order"], payment["amount"], payment["status"]) == (order["orderId"], "12.34", "SUCCESS")


def test_refunded_and_failed_payments_show_their_status(customer):
    refunded = _paid(customer.user_id)
    deliver(HANDLERS, "inventory-rejected", inventory_rejected(refunded))
    run_effects()
    failed = _paid(customer.user_id, method="tok_chargeDeclined")

    statuses = {p["order"]: p["status"] for p in customer.get("/api/payments/").json()["results"]}

    assert statuses == {refunded["orderId"]: "REFUNDED", failed["orderId"]: "FAILED"}


def test_another_customer_gets_an_empty_page_and_an_admin_sees_it(customer, other_customer, admin):
    order = _paid(customer.user_id)

    stranger = other_customer.get(f"/api/payments/?order={order['orderId']}")
    as_admin = admin.get(f"/api/payments/?order={order['orderId']}")

    assert stranger.status_code == 200
    assert stranger.json()["count"] == 0
    assert stranger.json()["results"] == []
    assert as_admin.json()["count"] == 1
    assert other_customer.get("/api/payments/").json()["count"] == 0


def test_an_unknown_or_odd_order_id_is_an_empty_page(customer):
    _paid(customer.user_id)
    assert customer.get("/api/payments/").json()["count"] == 1
    for order_id in ["not-a-uuid", "", "%27%20OR%201%3D1"]:
        response = customer.get(f"/api/payments/?order={order_id}")
        assert response.status_code == 200
        assert response.json()["count"] == 0


def test_payments_need_a_token(client):
    assert client.get("/api/payments/").status_code == 401


def test_a_charge_not_made_yet_is_not_listed_and_a_pending_refund_shows_success(customer):
    refunding = _paid(customer.user_id)
    simulator_fail_refunds(calls=1)
    deliver(HANDLERS, "inventory-rejected", inventory_rejected(refunding))
    run_effects()  # the refund fails for now
    pending = order_created(user_id=customer.user_id)
    deliver(HANDLERS, "order-created", pending)  # the charge is not made yet
    assert Payment.objects.get(order_id=refunding["orderId"]).status == "REFUND_PENDING"
    assert Payment.objects.get(order_id=pending["orderId"]).status == "PROCESSING"

    statuses = {p["order"]: p["status"] for p in customer.get("/api/payments/").json()["results"]}

    assert statuses == {refunding["orderId"]: "SUCCESS"}
