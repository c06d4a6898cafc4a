"""CONTRACT: the events, as a consumer of the broker sees them."""

import time
import uuid
from datetime import datetime

CE_HEADERS = {"ce_id", "ce_type", "ce_source", "ce_specversion", "ce_time"}


def one_event(messages):
    """Return the event behind `messages`: at-least-once delivery may repeat it, same ce_id."""
    assert len({message.headers.get("ce_id") for message in messages}) == 1, messages
    return messages[0]


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

    created = one_event(events.find("order-created", order_id))
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

    completed = one_event(events.find("payment-completed", order_id))
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
    completed = one_event(events.find("payment-completed", order_id))
    assert completed.payload["status"] == "FAILED"
    cancelled = one_event(events.find("order-cancelled", order_id))
    assert cancelled.payload["reason"] == "payment_declined"


def test_user_registered_is_keyed_by_the_user_id(events, customer):
    registered = one_event(events.find("user-registered", customer["id"]))
    assert_cloudevent(registered, "user-registered", "users")
    assert registered.payload["userId"] == customer["id"]
    assert registered.payload["email"] == customer["email"]


def test_an_event_delivered_twice_has_its_effect_once(
    api, events, customer, new_product, place_order, order_status
):
    product = new_product(price="7.00", stock=5)
    order_id = place_order(customer, [(product, 2)]).json()["id"]
    order_status(customer, order_id, "CONFIRMED")
    created = one_event(events.find("order-created", order_id))

    # The same message (same ce_id) again, as a broker redelivery or a relay retry would send it.
    events.produce(
        "order-created", key=order_id.encode(), value=created.raw_value, headers=created.raw_headers
    )
    marker = place_order(customer, [(product, 1)]).json()["id"]
    order_status(customer, marker, "CONFIRMED")  # payments read past the replay by now
    time.sleep(1)

    payments = api.get("/api/payments/", params={"order": order_id}, headers=customer["headers"]).json()
    assert [p["status"] for p in payments["results"]] == ["SUCCESS"]
    assert len(events.find("payment-completed", order_id)) >= 1
    assert len({m.headers["ce_id"] for m in events.find("payment-completed", order_id)}) == 1
    assert api.get(f"/api/inventory/{product['id']}/").json()["available"] == 2


def test_a_message_that_cannot_be_processed_goes_to_the_dead_letter_topic(
    events, customer, new_product, place_order, order_status
):
    key = f"e2e-poison-{uuid.uuid4().hex}"
    events.produce(
        "order-created", key=key.encode(), value=b"{not json", headers=[("ce_type", b"order-created")]
    )
    dead = events.find("order-created.dlq", key, timeout=15)
    assert dead[0].raw_value == b"{not json"
    # The consumer went on: a real order after the poison message is still paid and confirmed.
    order_id = place_order(customer, [(new_product(), 1)]).json()["id"]
    order_status(customer, order_id, "CONFIRMED")
