"""CONTRACT: the events, as a consumer of the broker sees them."""

import uuid
from datetime import datetime

CE_HEADERS = {"ce_id", "ce_type", "ce_source", "ce_specversion", "ce_time"}


def assert_cloudevent(message, event_type: str, service: str):
    assert set(message.headers) >= CE_HEADERS, message.headers
    assert message.headers["ce_type"] == event_type
    assert message.headers["ce_specversion"] == "1.0"
    assert message.headers["ce_source"] == f"/commercex/{service}"
    assert message.headers["ce_id"]
    datetime.fromisoformat(message.headers["ce_time"].replace("Z", "+00:00"))


def test_order_created_and_payment_completed_follow_the_contract(
    api, events, customer, new_product, place_order, order_status
):
    product = new_product(price="4.25")
    request_id = f"e2e-corr-{uuid.uuid4().hex}"
    body = {"items": [{"product": product["id"], "quantity": 2}]}
    response = api.post(
        "/api/orders/", json=body, headers={**customer["headers"], "X-Request-ID": request_id}
    )
    assert response.status_code == 201
    order_id = response.json()["id"]

    [created] = events.find("order-created", order_id)
    assert_cloudevent(created, "order-created", "orders")
    assert created.headers.get("correlation_id") == request_id
    payload = created.payload
    assert {"orderId", "userId", "items", "totalAmount", "createdAt"} <= set(payload)
    assert payload["orderId"] == order_id
    assert payload["userId"] == customer["id"]
    assert payload["totalAmount"] == "8.50"
    assert payload["items"] == [
        {"product": product["id"], "name": product["name"], "quantity": 2, "price": "4.25"}
    ]

    [completed] = events.find("payment-completed", order_id)
    assert_cloudevent(completed, "payment-completed", "payments")
    assert completed.headers.get("correlation_id") == request_id
    assert {"orderId", "paymentId", "status", "amount", "processedAt"} <= set(completed.payload)
    assert completed.payload["status"] == "SUCCESS"
    assert completed.payload["amount"] == "8.50"
    assert completed.headers["ce_id"] != created.headers["ce_id"]
    order_status(customer, order_id, "CONFIRMED")


def test_declined_payment_event_says_failed(api, events, customer, new_product, place_order):
    product = new_product()
    order_id = place_order(customer, [(product, 1)], payment_method="tok_chargeDeclined").json()["id"]
    [completed] = events.find("payment-completed", order_id)
    assert completed.payload["status"] == "FAILED"
    [cancelled] = events.find("order-cancelled", order_id)
    assert cancelled.payload["reason"] == "payment_declined"


def test_user_registered_is_keyed_by_the_user_id(events, customer):
    [registered] = events.find("user-registered", customer["id"])
    assert_cloudevent(registered, "user-registered", "users")
    assert registered.payload["userId"] == customer["id"]
    assert registered.payload["email"] == customer["email"]
