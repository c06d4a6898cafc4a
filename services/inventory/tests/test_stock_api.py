import pytest

from common.events.testing import published
from tests.events import create_product, new_id

pytestmark = pytest.mark.django_db


def put(client, product: str, body, **headers):
    return client.put(f"/api/inventory/{product}/", body, content_type="application/json", **headers)


def test_anyone_reads_a_products_stock(client):
    product = create_product(stock=9)

    response = client.get(f"/api/inventory/{product}/")

    assert response.status_code == 200
    assert response.json() == {"product": product, "available": 9}


def test_stock_of_an_unknown_product_is_404(client):
    response = client.get(f"/api/inventory/{new_id()}/")

    assert response.status_code == 404
    assert "detail" in response.json()


def test_admin_sets_stock_and_it_is_announced(client, admin_headers):
    product = create_product(stock=9)

    response = put(client, product, {"available": 2}, **admin_headers)

    assert response.status_code == 200
    assert response.json() == {"product": product, "available": 2}
    assert client.get(f"/api/inventory/{product}").json()["available"] == 2
    last = published("stock-changed")[-1]
    assert (last.key, last.payload["available"]) == (product, 2)


def test_anonymous_cannot_set_stock(client):
    product = create_product(stock=9)

    response = put(client, product, {"available": 2})

    assert response.status_code == 401
    assert client.get(f"/api/inventory/{product}/").json()["available"] == 9


def test_customer_cannot_set_stock(client, customer_headers):
    product = create_product(stock=9)

    response = put(client, product, {"available": 2}, **customer_headers)

    assert response.status_code == 403
    assert client.get(f"/api/inventory/{product}/").json()["available"] == 9


@pytest.mark.parametrize(
    "body",
    [
        {"available": -1},
        {"available": 1.5},
        {"available": "3"},
        {"available": True},
        {"available": None},
        {},
        {"available": 2**31},
    ],
)
def test_invalid_stock_is_refused_and_changes_nothing(client, admin_headers, body):
    product = create_product(stock=9)

    response = put(client, product, body, **admin_headers)

    assert response.status_code == 400
    assert "available" in response.json()
    assert client.get(f"/api/inventory/{product}/").json()["available"] == 9
    assert len(published("stock-changed")) == 1


def test_malformed_json_is_refused(client, admin_headers):
    product = create_product(stock=9)

    response = put(client, product, "{not json", **admin_headers)

    assert response.status_code == 400


def test_setting_stock_of_an_unknown_product_is_404(client, admin_headers):
    response = put(client, new_id(), {"available": 2}, **admin_headers)

    assert response.status_code == 404
