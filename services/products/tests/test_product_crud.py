import uuid

import pytest

from products.models import Product

pytestmark = pytest.mark.django_db

FIELDS = {"id", "name", "description", "price", "category", "stock", "created_at", "updated_at"}


def test_admin_creates_a_product_and_gets_its_representation(admin_api):
    response = admin_api.post(
        "/api/products/",
        {"name": "Desk lamp", "price": 1999, "stock": 7, "description": "LED", "category": "home"},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert set(body) == FIELDS
    assert body["price"] == "1999.00"
    assert body["stock"] == 7
    assert (body["name"], body["description"], body["category"]) == ("Desk lamp", "LED", "home")
    assert isinstance(body["id"], str)
    assert Product.objects.get(pk=body["id"]).stock == 7


def test_optional_fields_default_to_empty_strings(admin_api):
    response = admin_api.post("/api/products/", {"name": "Pen", "price": "1.5", "stock": 0}, format="json")

    assert response.status_code == 201
    assert response.json()["description"] == ""
    assert response.json()["category"] == ""
    assert response.json()["price"] == "1.50"


def test_detail_returns_the_product(anon_api, make_product):
    product = make_product(name="Mug", price="4.50", category="kitchen", stock=2)

    response = anon_api.get(f"/api/products/{product.id}/")

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(product.id)
    assert body["price"] == "4.50"
    assert body["stock"] == 2
    assert body["created_at"].endswith("Z")


@pytest.mark.parametrize("path", ["/api/products/{id}/", "/api/products/{id}"])
@pytest.mark.parametrize("make_id", [lambda: str(uuid.uuid4()), lambda: "not-a-uuid", lambda: "123"])
def test_unknown_or_malformed_id_is_a_json_404(anon_api, path, make_id):
    response = anon_api.get(path.format(id=make_id()))

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_writes_to_an_unknown_product_are_404(admin_api, method):
    body = {"name": "X", "price": "1.00"}

    for product_id in (uuid.uuid4(), "nope"):
        response = getattr(admin_api, method)(f"/api/products/{product_id}/", body, format="json")
        assert response.status_code == 404


def test_patch_changes_only_the_given_fields(admin_api, make_product):
    product = make_product(name="Mug", description="Blue", price="4.50", category="kitchen")

    response = admin_api.patch(f"/api/products/{product.id}/", {"price": "5"}, format="json")

    assert response.status_code == 200
    assert response.json()["price"] == "5.00"
    assert response.json()["description"] == "Blue"
    product.refresh_from_db()
    assert str(product.price) == "5.00"
    assert product.name == "Mug"


def test_put_replaces_the_catalogue_fields(admin_api, make_product):
    product = make_product(name="Mug", description="Blue", category="kitchen")

    response = admin_api.put(f"/api/products/{product.id}", {"name": "Cup", "price": "3.00"}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["price"], body["description"], body["category"]) == ("Cup", "3.00", "", "")


def test_stock_in_an_update_is_ignored(admin_api, make_product):
    product = make_product(stock=5)

    patched = admin_api.patch(f"/api/products/{product.id}/", {"stock": 99, "name": "New"}, format="json")
    put = admin_api.put(
        f"/api/products/{product.id}/", {"name": "Newer", "price": "1.00", "stock": -3}, format="json"
    )

    assert patched.status_code == 200 and put.status_code == 200
    assert patched.json()["stock"] == 5 and put.json()["stock"] == 5
    product.refresh_from_db()
    assert product.stock == 5


def test_delete_removes_the_product(admin_api, anon_api, make_product):
    product = make_product()

    response = admin_api.delete(f"/api/products/{product.id}/")

    assert response.status_code == 204
    assert not Product.objects.filter(pk=product.id).exists()
    assert anon_api.get(f"/api/products/{product.id}/").status_code == 404


def test_both_collection_paths_work_with_and_without_slash(admin_api, anon_api):
    created = admin_api.post("/api/products", {"name": "A", "price": "1.00", "stock": 1}, format="json")

    assert created.status_code == 201
    assert anon_api.get("/api/products").json()["count"] == 1
    assert anon_api.get("/api/products/").json()["count"] == 1


def test_an_unsupported_method_is_a_json_405(admin_api, make_product):
    product = make_product()

    response = admin_api.post(f"/api/products/{product.id}/", {}, format="json")

    assert response.status_code == 405
    assert "detail" in response.json()
