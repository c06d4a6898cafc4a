"""Reading orders (owner or admin, anyone else 404) and cancelling them."""

import uuid

import pytest

from common.events.testing import deliver, published
from orders.handlers import HANDLERS
from orders.models import Order
from tests import events

pytestmark = pytest.mark.django_db


def test_the_list_holds_only_the_callers_orders_paginated(customer, other_customer, place_order):
    mine = [place_order(customer)["id"] for _ in range(3)]
    place_order(other_customer)

    body = customer.get("/api/orders/?page_size=2").json()
    rest = customer.get("/api/orders/?page_size=2&page=2").json()

    assert body["count"] == 3
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["next"] is not None
    assert {o["id"] for o in body["results"] + rest["results"]} == set(mine)


def test_an_admin_lists_every_order(admin, customer, other_customer, place_order):
    place_order(customer)
    place_order(other_customer)

    assert admin.get("/api/orders/").json()["count"] == 2


def test_owner_and_admin_read_an_order_anyone_else_gets_404(customer, other_customer, admin, place_order):
    order = place_order(customer)

    assert customer.get(f"/api/orders/{order['id']}/").json() == order
    assert admin.get(f"/api/orders/{order['id']}").status_code == 200
    stranger = other_customer.get(f"/api/orders/{order['id']}/")
    assert stranger.status_code == 404
    assert stranger.json() == {"detail": "Not found."}


@pytest.mark.parametrize("order_id", ["not-a-uuid", "123", str(uuid.uuid4())])
def test_a_missing_or_malformed_order_id_is_404(customer, order_id):
    assert customer.get(f"/api/orders/{order_id}/").status_code == 404
    assert customer.post(f"/api/orders/{order_id}/cancel/").status_code == 404


def test_reading_orders_needs_a_token(anonymous, place_order):
    order = place_order()

    assert anonymous.get("/api/orders/").status_code == 401
    assert anonymous.get(f"/api/orders/{order['id']}/").status_code == 401


def test_cancelling_a_pending_order_announces_it_for_refund_and_restock(customer, place_order):
    order = place_order()

    response = customer.post(f"/api/orders/{order['id']}/cancel/")

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["cancellation_reason"]) == (
        "CANCELLED",
        "customer_request",
    )
    [cancelled] = published("order-cancelled")
    assert cancelled.payload["reason"] == "customer_request"
    assert cancelled.payload["previousStatus"] == "PENDING"
    assert cancelled.payload["totalAmount"] == order["total_amount"]


def test_a_confirmed_order_can_be_cancelled_by_an_admin(admin, place_order):
    order = place_order()
    deliver(HANDLERS, "payment-completed", events.payment_completed(order))
    deliver(HANDLERS, "inventory-updated", events.inventory_updated(order))

    response = admin.post(f"/api/orders/{order['id']}/cancel/")

    assert response.status_code == 200
    [cancelled] = published("order-cancelled")
    assert cancelled.payload["previousStatus"] == "CONFIRMED"


def test_cancelling_twice_answers_200_and_announces_once(customer, place_order):
    order = place_order()

    first = customer.post(f"/api/orders/{order['id']}/cancel/")
    second = customer.post(f"/api/orders/{order['id']}/cancel")

    assert first.status_code == second.status_code == 200
    assert second.json()["cancellation_reason"] == "customer_request"
    assert len(published("order-cancelled")) == 1


def test_a_declined_order_stays_payment_declined_when_cancelled(customer, place_order):
    order = place_order()
    deliver(HANDLERS, "payment-completed", events.payment_completed(order, status="FAILED"))

    response = customer.post(f"/api/orders/{order['id']}/cancel/")

    assert response.status_code == 200
    assert response.json()["cancellation_reason"] == "payment_declined"


def test_a_shipped_order_cannot_be_cancelled(customer, place_order):
    order = place_order()
    Order.objects.filter(id=order["id"]).update(status="SHIPPED")

    response = customer.post(f"/api/orders/{order['id']}/cancel/")

    assert response.status_code == 400
    assert "status" in response.json()
    assert Order.objects.get(id=order["id"]).status == "SHIPPED"
    assert published("order-cancelled") == []


def test_another_customer_cannot_cancel_an_order(other_customer, place_order):
    order = place_order()

    assert other_customer.post(f"/api/orders/{order['id']}/cancel/").status_code == 404
    assert Order.objects.get(id=order["id"]).status == "PENDING"
