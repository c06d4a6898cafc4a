"""The Django admin writes through services.py: events are published, the cache invalidated."""

import pytest

from common.events.testing import published
from products.models import Product

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/products/products/product/"


@pytest.fixture
def admin_client(client, django_user_model):
    """A logged-in admin-site superuser (no password: hashing one is slow and not under test)."""
    user = django_user_model.objects.create(username="admin", is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def form(**fields) -> dict:
    return {"name": "Lamp", "description": "", "price": "10.00", "category": "home", **fields}


def test_changelist_lists_searches_and_filters(admin_client, make_product):
    make_product(name="Desk lamp", category="home")
    make_product(name="Notebook", category="office")

    listing = admin_client.get(CHANGELIST)
    searched = admin_client.get(CHANGELIST, {"q": "lamp"})
    filtered = admin_client.get(CHANGELIST, {"category": "office"})

    assert listing.status_code == 200
    assert b"Desk lamp" in listing.content and b"Notebook" in listing.content
    assert b"Desk lamp" in searched.content and b"Notebook" not in searched.content
    assert b"Notebook" in filtered.content and b"Desk lamp" not in filtered.content


def test_the_admin_requires_a_staff_login(client):
    response = client.get(CHANGELIST)

    assert response.status_code == 302
    assert "/admin/products/login/" in response["Location"]


def test_adding_in_the_admin_publishes_product_created(admin_client):
    response = admin_client.post(f"{CHANGELIST}add/", form(stock="6"))

    assert response.status_code == 302
    product = Product.objects.get()
    assert product.stock == 6
    [event] = published("product-created")
    assert event.payload["productId"] == str(product.id)
    assert event.payload["stock"] == 6


def test_editing_in_the_admin_publishes_and_leaves_no_stale_read(admin_client, anon_api, make_product):
    product = make_product(name="Lamp", category="home", price="10.00", stock=3)
    url = f"/api/products/{product.id}/"
    anon_api.get(url), anon_api.get("/api/products/")

    response = admin_client.post(f"{CHANGELIST}{product.id}/change/", form(name="Lamp XL", stock="99"))

    assert response.status_code == 302
    assert anon_api.get(url).json()["name"] == "Lamp XL"
    assert anon_api.get("/api/products/").json()["results"][0]["name"] == "Lamp XL"
    product.refresh_from_db()
    assert product.stock == 3  # read-only after creation: inventory owns it
    [event] = published("product-updated")
    assert event.payload["name"] == "Lamp XL"


def test_deleting_in_the_admin_publishes_product_deleted(admin_client, anon_api, make_product):
    product = make_product()
    anon_api.get(f"/api/products/{product.id}/")

    response = admin_client.post(f"{CHANGELIST}{product.id}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert anon_api.get(f"/api/products/{product.id}/").status_code == 404
    assert [event.payload["productId"] for event in published("product-deleted")] == [str(product.id)]


def test_bulk_delete_in_the_admin_publishes_one_event_per_product(admin_client, make_product):
    products = [make_product(), make_product()]

    response = admin_client.post(
        CHANGELIST,
        {"action": "delete_selected", "_selected_action": [str(p.id) for p in products], "post": "yes"},
    )

    assert response.status_code == 302
    assert not Product.objects.exists()
    assert {e.payload["productId"] for e in published("product-deleted")} == {str(p.id) for p in products}
