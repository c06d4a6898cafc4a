"""CONTRACT: orders and the saga (payment, stock, cancellation), through the gateway."""

import uuid
from decimal import Decimal

import pytest
from system import wait_until

ORDER_FIELDS = {"id", "status", "items", "total_amount", "cancellation_reason", "created_at"}


def test_order_is_priced_by_the_server_and_goes_to_confirmed(
    api, customer, new_product, place_order, order_status
):
    cheap, dear = new_product(price="2.50", stock=10), new_product(price="100.00", stock=10)
    response = place_order(
        customer,
        [(cheap, 2), (dear, 1)],
        user="someone-else",
        totalAmount="0.01",
    )
    assert response.status_code == 201, response.text
    order = response.json()
    assert set(order) >= ORDER_FIELDS
    assert order["status"] == "PENDING"
    assert order["cancellation_reason"] is None
    assert order["total_amount"] == "105.00"
    lines = {line["product"]: line for line in order["items"]}
    assert lines[cheap["id"]] == {
        "product": cheap["id"],
        "name": cheap["name"],
        "quantity": 2,
        "unit_price": "2.50",
    }

    confirmed = order_status(customer, order["id"], "CONFIRMED")
    assert confirmed["total_amount"] == "105.00"
    wait_until(
        lambda: api.get(f"/api/inventory/{cheap['id']}/").json()["available"] == 8,
        timeout=2,
        message="stock deducted",
    )


def test_client_prices_and_names_in_items_are_ignored(api, customer, new_product):
    product = new_product(price="9.99")
    items = [{"product": product["id"], "quantity": 1, "price": "0.01", "name": "Free", "unit_price": "0.01"}]
    response = api.post("/api/orders/", json={"items": items}, headers=customer["headers"])
    assert response.status_code == 201, response.text
    assert response.json()["total_amount"] == "9.99"
    assert response.json()["items"][0]["name"] == product["name"]


@pytest.mark.parametrize(
    "items",
    [
        [],
        [{"product": "unknown-product", "quantity": 1}],
        [{"product": "PRODUCT", "quantity": 0}],
        [{"product": "PRODUCT", "quantity": 1.5}],
        [{"product": "PRODUCT", "quantity": "2"}],
        [{"product": "PRODUCT", "quantity": -3}],
    ],
)
def test_invalid_orders_are_rejected(api, customer, new_product, items):
    product = new_product()
    items = [
        {**item, "product": product["id"] if item["product"] == "PRODUCT" else item["product"]}
        for item in items
    ]
    response = api.post("/api/orders/", json={"items": items}, headers=customer["headers"])
    assert response.status_code == 400, response.text
    assert isinstance(response.json(), dict)


def test_more_than_100_lines_is_rejected(api, customer):
    items = [{"product": str(uuid.uuid4()), "quantity": 1} for _ in range(101)]
    response = api.post("/api/orders/", json={"items": items}, headers=customer["headers"])
    assert response.status_code == 400


def test_orders_need_a_token(api):
    assert api.post("/api/orders/", json={"items": []}).status_code == 401
    assert api.get("/api/orders/").status_code == 401


def test_idempotency_key_returns_the_first_order(api, customer, new_product):
    product = new_product()
    headers = {**customer["headers"], "Idempotency-Key": uuid.uuid4().hex}
    body = {"items": [{"product": product["id"], "quantity": 1}]}
    first = api.post("/api/orders/", json=body, headers=headers)
    second = api.post("/api/orders/", json=body, headers=headers)
    assert first.status_code == 201
    assert second.status_code in (200, 201)
    assert second.json()["id"] == first.json()["id"]
    mine = api.get("/api/orders/", headers=customer["headers"]).json()
    assert mine["count"] == 1


def test_declined_payment_cancels_the_order(api, customer, new_product, place_order, order_status):
    product = new_product(stock=3)
    response = place_order(customer, [(product, 1)], payment_method="tok_chargeDeclined")
    assert response.status_code == 201
    order = order_status(customer, response.json()["id"], "CANCELLED")
    assert order["cancellation_reason"] == "payment_declined"
    payments = api.get("/api/payments/", params={"order": order["id"]}, headers=customer["headers"]).json()
    assert [p["status"] for p in payments["results"]] == ["FAILED"]
    assert api.get(f"/api/inventory/{product['id']}/").json()["available"] == 3


def test_too_little_stock_cancels_and_refunds(api, customer, new_product, place_order, order_status):
    product = new_product(stock=1)
    response = place_order(customer, [(product, 2)])
    assert response.status_code == 201
    order = order_status(customer, response.json()["id"], "CANCELLED")
    assert order["cancellation_reason"] == "out_of_stock"

    def refunded():
        body = api.get("/api/payments/", params={"order": order["id"]}, headers=customer["headers"]).json()
        return body if [p["status"] for p in body["results"]] == ["REFUNDED"] else None

    wait_until(refunded, timeout=5, message="the payment to be refunded")
    assert api.get(f"/api/inventory/{product['id']}/").json()["available"] == 1


def test_cancel_refunds_and_restores_stock(api, customer, new_product, place_order, order_status):
    product = new_product(stock=4)
    response = place_order(customer, [(product, 3)])
    order_id = response.json()["id"]
    order_status(customer, order_id, "CONFIRMED")
    assert api.get(f"/api/inventory/{product['id']}/").json()["available"] == 1

    cancelled = api.post(f"/api/orders/{order_id}/cancel/", headers=customer["headers"])
    assert cancelled.status_code == 200
    order = order_status(customer, order_id, "CANCELLED")
    assert order["cancellation_reason"] == "customer_request"
    wait_until(
        lambda: api.get(f"/api/inventory/{product['id']}/").json()["available"] == 4,
        timeout=5,
        message="stock restored",
    )

    def refunded():
        body = api.get("/api/payments/", params={"order": order_id}, headers=customer["headers"]).json()
        return {p["status"] for p in body["results"]} == {"REFUNDED"}

    wait_until(refunded, timeout=5, message="refund")


def test_orders_are_private_to_their_owner(api, admin, new_customer, new_product, place_order):
    owner, other = new_customer(), new_customer()
    product = new_product()
    order_id = place_order(owner, [(product, 1)]).json()["id"]
    assert api.get(f"/api/orders/{order_id}/", headers=other["headers"]).status_code == 404
    assert api.post(f"/api/orders/{order_id}/cancel/", headers=other["headers"]).status_code == 404
    assert api.get("/api/orders/", headers=other["headers"]).json()["count"] == 0
    assert api.get(f"/api/orders/{order_id}/", headers=admin["headers"]).status_code == 200
    everything = api.get("/api/orders/", headers=admin["headers"], params={"page_size": 100}).json()
    assert everything["count"] >= 1
    assert set(everything) == {"count", "next", "previous", "results"}


def test_payments_are_visible_to_the_owner_only(
    api, admin, new_customer, new_product, place_order, order_status
):
    owner, other = new_customer(), new_customer()
    product = new_product(price="12.34")
    order_id = place_order(owner, [(product, 2)]).json()["id"]
    order_status(owner, order_id, "CONFIRMED")
    mine = api.get("/api/payments/", params={"order": order_id}, headers=owner["headers"])
    assert mine.status_code == 200
    [payment] = mine.json()["results"]
    assert set(payment) >= {"id", "order", "amount", "status", "created_at"}
    assert payment["order"] == order_id and payment["amount"] == "24.68" and payment["status"] == "SUCCESS"
    theirs = api.get("/api/payments/", params={"order": order_id}, headers=other["headers"])
    assert theirs.status_code in (200, 404)
    if theirs.status_code == 200:
        assert theirs.json()["results"] == []
    assert (
        len(api.get("/api/payments/", params={"order": order_id}, headers=admin["headers"]).json()["results"])
        == 1
    )
    assert Decimal(payment["amount"]) == Decimal("24.68")


def test_notifications_list_the_callers_own(api, customer, new_product, place_order, order_status):
    product = new_product()
    order_id = place_order(customer, [(product, 1)]).json()["id"]
    order_status(customer, order_id, "CONFIRMED")

    def listed():
        body = api.get("/api/notifications/", headers=customer["headers"]).json()
        return body if body["count"] >= 1 else None

    body = wait_until(listed, timeout=5, message="a notification for the customer")
    assert set(body) == {"count", "next", "previous", "results"}
    assert set(body["results"][0]) >= {"id", "kind", "subject", "created_at"}
    assert api.get("/api/notifications/").status_code == 401
