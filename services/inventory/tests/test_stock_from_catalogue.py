import pytest

from common.events.testing import deliver, published
from inventory.handlers import HANDLERS
from inventory.models import StockItem
from tests.events import create_product

pytestmark = pytest.mark.django_db


def test_product_created_starts_stock_at_its_initial_stock(client):
    product = create_product(stock=7)

    assert client.get(f"/api/inventory/{product}/").json() == {"product": product, "available": 7}
    [changed] = published("stock-changed")
    assert changed.key == product
    assert changed.payload["productId"] == product
    assert changed.payload["available"] == 7


def test_product_created_again_under_a_new_event_id_changes_nothing():
    product = create_product(stock=7)
    StockItem.objects.filter(product_id=product).update(available=3)

    create_product(stock=7, product_id=product)

    assert StockItem.objects.get(product_id=product).available == 3
    assert len(published("stock-changed")) == 1


def test_product_deleted_stops_serving_its_stock(client):
    product = create_product(stock=4)

    deliver(HANDLERS, "product-deleted", {"productId": product, "deletedAt": "2026-11-26T12:00:00Z"})

    assert client.get(f"/api/inventory/{product}/").status_code == 404
