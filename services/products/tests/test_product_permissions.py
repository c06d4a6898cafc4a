import pytest

from products.models import Product

pytestmark = pytest.mark.django_db

NEW_PRODUCT = {"name": "Desk lamp", "price": "19.99", "stock": 3}


def test_anyone_can_list_and_read_products(anon_api, make_product):
    product = make_product()

    assert anon_api.get("/api/products/").status_code == 200
    assert anon_api.get(f"/api/products/{product.id}/").status_code == 200


def test_anonymous_create_is_401_and_creates_nothing(anon_api):
    response = anon_api.post("/api/products/", NEW_PRODUCT, format="json")

    assert response.status_code == 401
    assert "detail" in response.json()
    assert not Product.objects.exists()


def test_customer_create_is_403_and_creates_nothing(customer_api):
    response = customer_api.post("/api/products/", NEW_PRODUCT, format="json")

    assert response.status_code == 403
    assert "detail" in response.json()
    assert not Product.objects.exists()


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_anonymous_and_customer_cannot_change_a_product(anon_api, customer_api, make_product, method):
    product = make_product(name="Original")
    url = f"/api/products/{product.id}/"
    body = {"name": "Changed", "price": "1.00"}

    assert getattr(anon_api, method)(url, body, format="json").status_code == 401
    assert getattr(customer_api, method)(url, body, format="json").status_code == 403
    product.refresh_from_db()
    assert product.name == "Original"


def test_forged_token_is_401_even_on_a_read(anon_api):
    anon_api.credentials(HTTP_AUTHORIZATION="Bearer not.a.jwt")

    assert anon_api.get("/api/products/").status_code == 401
