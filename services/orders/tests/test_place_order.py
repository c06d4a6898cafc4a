"""POST /api/orders/: priced from the catalogue copy, validated, idempotent, announced."""

import socket
import uuid

import pytest

from common.events.testing import published
from orders import services
from orders.models import CatalogueProduct, Order, OrderItem, OrderTransition


def test_order_is_priced_from_the_catalogue_copy_and_ignores_client_values(customer, make_product):
    lamp = make_product(name="Desk lamp", price="19.99")
    chair = make_product(name="Chair", price="100.00")

    response = customer.post(
        "/api/orders/",
        {
            "items": [
                {"product": lamp.id, "quantity": 2, "price": "0.01", "name": "Free lamp"},
                {"product": chair.id, "quantity": 1, "unit_price": "0.01"},
            ],
            "user": str(uuid.uuid4()),
            "totalAmount": "0.02",
            "total_amount": "0.02",
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "PENDING"
    assert body["cancellation_reason"] is None
    assert body["total_amount"] == "139.98"
    assert body["items"] == [
        {"product": lamp.id, "name": "Desk lamp", "quantity": 2, "unit_price": "19.99"},
        {"product": chair.id, "name": "Chair", "quantity": 1, "unit_price": "100.00"},
    ]
    assert set(body) == {"id", "status", "items", "total_amount", "cancellation_reason", "created_at"}
    order = Order.objects.get(id=body["id"])
    assert order.user_id == customer.user_id
    assert order.payment_method == "tok_visa"


def test_order_commits_with_its_transition_and_order_created_event(customer, make_product):
    lamp = make_product(price="19.99")

    body = customer.post(
        "/api/orders/",
        {"items": [{"product": lamp.id, "quantity": 3}], "payment_method": "tok_chargeDeclined"},
    ).json()

    [event] = published("order-created")
    assert event.key == body["id"]
    assert event.payload["orderId"] == body["id"]
    assert event.payload["userId"] == customer.user_id
    assert event.payload["userEmail"] == customer.email
    assert event.payload["items"] == [
        {"product": lamp.id, "name": lamp.name, "quantity": 3, "price": "19.99"}
    ]
    assert event.payload["totalAmount"] == "59.97"
    assert event.payload["paymentMethod"] == "tok_chargeDeclined"
    [transition] = OrderTransition.objects.filter(order_id=body["id"])
    assert (transition.from_status, transition.to_status) == ("", "PENDING")


def test_product_missing_from_the_copy_is_fetched_once_over_http_and_kept(customer, products_server):
    remote = products_server.add(name="Remote kettle", price="42.50")

    first = customer.post("/api/orders/", {"items": [{"product": remote["id"], "quantity": 2}]})
    second = customer.post("/api/orders/", {"items": [{"product": remote["id"], "quantity": 1}]})

    assert first.status_code == 201, first.content
    assert first.json()["items"][0]["name"] == "Remote kettle"
    assert first.json()["total_amount"] == "85.00"
    assert second.status_code == 201
    assert products_server.requests == [f"/api/products/{remote['id']}/"]
    assert CatalogueProduct.objects.get(id=remote["id"]).price == 42.5


def test_product_unknown_to_the_products_service_is_a_400(customer, products_server):
    missing = str(uuid.uuid4())

    response = customer.post("/api/orders/", {"items": [{"product": missing, "quantity": 1}]})

    assert response.status_code == 400
    assert response.json() == {"items": [{"product": ["Unknown product."]}]}
    assert products_server.requests == [f"/api/products/{missing}/"]
    assert not Order.objects.exists()


def test_products_service_unreachable_is_a_503_and_records_nothing(customer, settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    settings.PRODUCTS_SERVICE_URL = f"http://127.0.0.1:{closed_port}"

    response = customer.post("/api/orders/", {"items": [{"product": str(uuid.uuid4()), "quantity": 1}]})

    assert response.status_code == 503
    assert "detail" in response.json()
    assert not Order.objects.exists()


def test_deleted_product_cannot_be_ordered(customer, make_product, products_server):
    lamp = make_product()
    lamp.deleted = True
    lamp.save()

    response = customer.post("/api/orders/", {"items": [{"product": lamp.id, "quantity": 1}]})

    assert response.status_code == 400
    assert products_server.requests == []


@pytest.mark.parametrize(
    ("quantity", "label"),
    [
        (1.5, "fraction"),
        ("2", "string"),
        (True, "boolean"),
        (0, "zero"),
        (-1, "negative"),
        (10**20, "huge"),
        (10_001, "over the cap"),
        (None, "null"),
        (2.0, "float"),
    ],
)
def test_quantity_must_be_a_whole_number_of_at_least_one(customer, make_product, quantity, label):
    lamp = make_product()

    response = customer.post("/api/orders/", {"items": [{"product": lamp.id, "quantity": quantity}]})

    assert response.status_code == 400, label
    assert "items" in response.json()
    assert not Order.objects.exists()
    assert published() == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"items": []}, "items"),
        ({}, "items"),
        ({"items": None}, "items"),
        ({"items": "lamp"}, "items"),
        ({"items": ["lamp"]}, "items"),
        ({"items": [{"quantity": 1}]}, "items"),
        ({"items": [{"product": 17, "quantity": 1}]}, "items"),
    ],
)
def test_malformed_items_are_rejected(customer, body, field):
    response = customer.post("/api/orders/", body)

    assert response.status_code == 400
    assert field in response.json()
    assert not Order.objects.exists()


def test_more_than_100_lines_is_a_400(customer, make_product):
    products = [make_product() for _ in range(101)]

    too_many = customer.post("/api/orders/", {"items": [{"product": p.id, "quantity": 1} for p in products]})
    exactly_100 = customer.post(
        "/api/orders/", {"items": [{"product": p.id, "quantity": 1} for p in products[:100]]}
    )

    assert too_many.status_code == 400
    assert "items" in too_many.json()
    assert exactly_100.status_code == 201
    assert OrderItem.objects.count() == 100


def test_the_same_product_on_two_lines_is_a_400(customer, make_product):
    lamp = make_product()

    response = customer.post(
        "/api/orders/", {"items": [{"product": lamp.id, "quantity": 1}, {"product": lamp.id, "quantity": 2}]}
    )

    assert response.status_code == 400
    assert "more than once" in response.json()["items"][0]
    assert not Order.objects.exists()


@pytest.mark.parametrize("payment_method", [5, None, True, ["tok_visa"], ""])
def test_payment_method_must_be_a_non_empty_string(customer, make_product, payment_method):
    lamp = make_product()

    response = customer.post(
        "/api/orders/", {"items": [{"product": lamp.id, "quantity": 1}], "payment_method": payment_method}
    )

    assert response.status_code == 400
    assert "payment_method" in response.json()
    assert not Order.objects.exists()


def test_malformed_json_and_a_non_object_body_are_400(customer):
    malformed = customer.client.post("/api/orders/", "{not json", content_type="application/json")
    listed = customer.post("/api/orders/", [{"product": "x", "quantity": 1}])

    assert malformed.status_code == 400
    assert "non_field_errors" in malformed.json()
    assert listed.status_code == 400
    assert not Order.objects.exists()


def test_placing_an_order_needs_a_token(anonymous, make_product):
    response = anonymous.post(
        "/api/orders/", {"items": [{"product": make_product().id, "quantity": 1}]}, format="json"
    )

    assert response.status_code == 401
    assert not Order.objects.exists()


def test_a_repeated_idempotency_key_returns_the_first_order(customer, make_product):
    lamp = make_product()
    body = {"items": [{"product": lamp.id, "quantity": 1}]}

    first = customer.post("/api/orders/", body, HTTP_IDEMPOTENCY_KEY="checkout-42")
    again = customer.post("/api/orders/", body, HTTP_IDEMPOTENCY_KEY="checkout-42")

    assert first.status_code == 201
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert Order.objects.count() == 1
    assert len(published("order-created")) == 1


def test_idempotency_keys_are_per_user_and_absent_keys_never_collide(customer, other_customer, make_product):
    lamp = make_product()
    body = {"items": [{"product": lamp.id, "quantity": 1}]}

    mine = customer.post("/api/orders/", body, HTTP_IDEMPOTENCY_KEY="same-key").json()
    theirs = other_customer.post("/api/orders/", body, HTTP_IDEMPOTENCY_KEY="same-key").json()
    no_key_1 = customer.post("/api/orders/", body).json()
    no_key_2 = customer.post("/api/orders/", body).json()

    assert len({mine["id"], theirs["id"], no_key_1["id"], no_key_2["id"]}) == 4


def test_the_database_keeps_one_order_per_user_and_key_even_past_the_lookup(customer, make_product):
    lamp = make_product()
    lines = [services.OrderLine(product=lamp.id, quantity=1)]
    place = dict(user_id=customer.user_id, user_email=customer.email, lines=lines, payment_method="tok_visa")

    first, first_created = services.order_place(**place, idempotency_key="race")
    second, second_created = services.order_place(**place, idempotency_key="race")

    assert (first_created, second_created) == (True, False)
    assert second.id == first.id
    assert Order.objects.count() == 1
    assert len(published("order-created")) == 1


def test_an_overlong_idempotency_key_is_a_400(customer, make_product):
    response = customer.post(
        "/api/orders/",
        {"items": [{"product": make_product().id, "quantity": 1}]},
        HTTP_IDEMPOTENCY_KEY="k" * 256,
    )

    assert response.status_code == 400
    assert not Order.objects.exists()
