"""Every write records its event in the outbox, in the contract's shape."""

from datetime import timedelta

import pytest
from django.utils.dateparse import parse_datetime

from common.events.schemas import validate_payload
from common.events.testing import published

pytestmark = pytest.mark.django_db


def create(admin_api, **fields) -> dict:
    body = {"name": "Lamp", "price": "19.90", "stock": 4, "description": "LED", "category": "home", **fields}
    response = admin_api.post("/api/products/", body, format="json")
    assert response.status_code == 201
    return response.json()


def test_create_publishes_product_created_with_the_initial_stock(admin_api):
    product = create(admin_api)

    [event] = published("product-created")
    validate_payload("product-created", event.payload)
    assert event.key == product["id"]
    assert event.payload == {
        "productId": product["id"],
        "name": "Lamp",
        "description": "LED",
        "price": "19.90",
        "category": "home",
        "stock": 4,
        "createdAt": event.payload["createdAt"],
    }
    created_at = parse_datetime(event.payload["createdAt"])
    assert abs(created_at - parse_datetime(product["created_at"])) < timedelta(milliseconds=1)


def test_update_publishes_product_updated_with_the_full_new_state(admin_api):
    product = create(admin_api)

    admin_api.patch(f"/api/products/{product['id']}/", {"price": "15", "stock": 50}, format="json")

    [event] = published("product-updated")
    validate_payload("product-updated", event.payload)
    assert event.key == product["id"]
    payload = {key: value for key, value in event.payload.items() if key != "updatedAt"}
    assert payload == {
        "productId": product["id"],
        "name": "Lamp",
        "description": "LED",
        "price": "15.00",
        "category": "home",
    }


def test_an_update_that_changes_nothing_publishes_nothing(admin_api):
    product = create(admin_api)

    response = admin_api.patch(f"/api/products/{product['id']}/", {"price": "19.9"}, format="json")

    assert response.status_code == 200
    assert published("product-updated") == []


def test_delete_publishes_product_deleted(admin_api):
    product = create(admin_api)

    admin_api.delete(f"/api/products/{product['id']}/")

    [event] = published("product-deleted")
    validate_payload("product-deleted", event.payload)
    assert event.key == product["id"]
    assert event.payload["productId"] == product["id"]


def test_a_refused_write_publishes_nothing(admin_api, customer_api):
    product = create(admin_api)

    customer_api.patch(f"/api/products/{product['id']}/", {"name": "Hacked"}, format="json")
    admin_api.patch(f"/api/products/{product['id']}/", {"price": "-1"}, format="json")
    customer_api.delete(f"/api/products/{product['id']}/")

    assert [event.event_type for event in published()] == ["product-created"]


def test_events_carry_the_request_id_as_correlation_id(admin_api):
    create(admin_api, name="Traced")
    admin_api.post(
        "/api/products/",
        {"name": "Traced 2", "price": "1", "stock": 0},
        format="json",
        HTTP_X_REQUEST_ID="req-42",
    )

    assert published("product-created")[-1].correlation_id == "req-42"
