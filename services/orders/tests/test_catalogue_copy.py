"""The catalogue copy follows product events; orders are priced from it."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from common.events.testing import deliver
from orders.handlers import HANDLERS
from orders.models import CatalogueProduct

pytestmark = pytest.mark.django_db


def _created(product_id: str, *, price: str = "10.00", at=None) -> dict:
    return {
        "productId": product_id,
        "name": "Mug",
        "description": "",
        "price": price,
        "category": "kitchen",
        "stock": 5,
        "createdAt": (at or timezone.now()).isoformat(),
    }


def _updated(product_id: str, *, price: str, name: str = "Mug", at=None) -> dict:
    return {
        "productId": product_id,
        "name": name,
        "description": "",
        "price": price,
        "category": "kitchen",
        "updatedAt": (at or timezone.now()).isoformat(),
    }


def test_a_created_product_is_orderable_at_its_price(customer, products_server):
    product_id = str(uuid.uuid4())
    deliver(HANDLERS, "product-created", _created(product_id, price="12.50"))

    response = customer.post("/api/orders/", {"items": [{"product": product_id, "quantity": 2}]})

    assert response.status_code == 201
    assert response.json()["total_amount"] == "25.00"
    assert products_server.requests == []


def test_an_update_reprices_new_orders_but_an_older_version_is_ignored(customer):
    product_id = str(uuid.uuid4())
    created_at = timezone.now() - timedelta(minutes=5)
    deliver(HANDLERS, "product-created", _created(product_id, price="10.00", at=created_at))
    deliver(HANDLERS, "product-updated", _updated(product_id, price="15.00", name="Big mug"))
    deliver(
        HANDLERS, "product-updated", _updated(product_id, price="11.00", at=created_at + timedelta(minutes=1))
    )

    body = customer.post("/api/orders/", {"items": [{"product": product_id, "quantity": 1}]}).json()

    assert body["items"][0]["unit_price"] == "15.00"
    assert body["items"][0]["name"] == "Big mug"


def test_a_deleted_product_is_no_longer_orderable_even_if_created_arrives_late(customer, products_server):
    product_id = str(uuid.uuid4())
    deliver(HANDLERS, "product-deleted", {"productId": product_id, "deletedAt": timezone.now().isoformat()})
    deliver(HANDLERS, "product-created", _created(product_id, at=timezone.now() - timedelta(minutes=1)))

    response = customer.post("/api/orders/", {"items": [{"product": product_id, "quantity": 1}]})

    assert response.status_code == 400
    assert CatalogueProduct.objects.get(id=product_id).deleted
    assert products_server.requests == []


def test_an_existing_order_keeps_the_price_it_was_placed_at(customer, place_order):
    order = place_order()
    product_id = order["items"][0]["product"]

    deliver(HANDLERS, "product-updated", _updated(product_id, price="999.00"))

    again = customer.get(f"/api/orders/{order['id']}/").json()
    assert again["items"][0]["unit_price"] == order["items"][0]["unit_price"]
    assert again["total_amount"] == order["total_amount"]
