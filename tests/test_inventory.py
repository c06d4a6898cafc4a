"""CONTRACT: inventory, and products' `stock` mirroring it."""

import uuid

from system import wait_until


def test_new_product_stock_becomes_available_within_one_second(api, admin):
    response = api.post(
        "/api/products/", json={"name": "Stocked", "price": "2.00", "stock": 7}, headers=admin["headers"]
    )
    assert response.status_code == 201
    product_id = response.json()["id"]

    def available():
        answer = api.get(f"/api/inventory/{product_id}/")
        return answer.json() if answer.status_code == 200 else None

    body = wait_until(available, timeout=2, message="inventory of the new product")
    assert body == {"product": product_id, "available": 7}


def test_unknown_product_inventory_is_404(api):
    response = api.get(f"/api/inventory/{uuid.uuid4()}/")
    assert response.status_code == 404
    assert "detail" in response.json()


def test_admin_sets_available_and_product_stock_follows(api, admin, new_product):
    product = new_product(stock=5)
    response = api.put(f"/api/inventory/{product['id']}/", json={"available": 42}, headers=admin["headers"])
    assert response.status_code == 200
    assert response.json()["available"] == 42
    assert api.get(f"/api/inventory/{product['id']}/").json()["available"] == 42
    wait_until(
        lambda: api.get(f"/api/products/{product['id']}/").json()["stock"] == 42,
        timeout=2,
        message="products' stock to follow inventory",
    )


def test_set_available_rejects_negative_and_non_admins(api, admin, customer, new_product):
    product = new_product(stock=5)
    url = f"/api/inventory/{product['id']}/"
    negative = api.put(url, json={"available": -1}, headers=admin["headers"])
    assert negative.status_code == 400
    assert "available" in negative.json()
    assert api.put(url, json={"available": 1}, headers=customer["headers"]).status_code == 403
    assert api.put(url, json={"available": 1}).status_code == 401
    assert api.get(url).json()["available"] == 5
