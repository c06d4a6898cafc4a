import pytest

from common.events.testing import published
from products.models import Product

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"price": "10.00", "stock": 1}, "name"),
        ({"name": "", "price": "10.00", "stock": 1}, "name"),
        ({"name": "Lamp", "price": "-0.01", "stock": 1}, "price"),
        ({"name": "Lamp", "price": "abc", "stock": 1}, "price"),
        ({"name": "Lamp", "price": "1.999", "stock": 1}, "price"),
        ({"name": "Lamp", "price": "100000000.00", "stock": 1}, "price"),
        ({"name": "Lamp", "stock": 1}, "price"),
        ({"name": "Lamp", "price": "10.00", "stock": -1}, "stock"),
        ({"name": "Lamp", "price": "10.00", "stock": 1.5}, "stock"),
        ({"name": "Lamp", "price": "10.00"}, "stock"),
        ({"name": "x" * 201, "price": "10.00", "stock": 1}, "name"),
    ],
)
def test_invalid_create_is_400_naming_the_field_and_changes_nothing(admin_api, body, field):
    response = admin_api.post("/api/products/", body, format="json")

    assert response.status_code == 400
    errors = response.json()
    assert isinstance(errors[field], list) and errors[field]
    assert not Product.objects.exists()
    assert published() == []


def test_malformed_json_is_400(admin_api):
    response = admin_api.post("/api/products/", "{not json", content_type="application/json")

    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_invalid_update_is_400_and_keeps_the_product(admin_api, make_product):
    product = make_product(name="Lamp")

    response = admin_api.patch(f"/api/products/{product.id}/", {"price": "-5"}, format="json")

    assert response.status_code == 400
    assert "price" in response.json()
    product.refresh_from_db()
    assert str(product.price) == "10.00"


def test_put_requires_name_and_price(admin_api, make_product):
    product = make_product()

    response = admin_api.put(f"/api/products/{product.id}/", {"description": "only"}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"name", "price"}
