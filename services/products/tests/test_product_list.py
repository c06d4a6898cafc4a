from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from products.models import Product

pytestmark = pytest.mark.django_db


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["name"] for row in response.json()["results"]]


@pytest.fixture
def catalogue(make_product):
    now = timezone.now()
    rows = [
        ("Red mug", "A ceramic mug", "kitchen", "4.50"),
        ("Desk lamp", "Warm LED light", "home", "19.99"),
        ("Blue mug", "Enamel, for camping", "Kitchen", "7.00"),
        ("Notebook", "Dotted paper", "office", "3.20"),
    ]
    products = [
        make_product(name=name, description=description, category=category, price=Decimal(price))
        for name, description, category, price in rows
    ]
    # Distinct, known creation times: Red mug oldest, Notebook newest.
    for age, product in enumerate(reversed(products)):
        Product.objects.filter(pk=product.pk).update(created_at=now - timedelta(minutes=age))
    return products


def test_list_is_paginated_with_the_contract_fields(anon_api, catalogue):
    body = anon_api.get("/api/products/").json()

    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 4
    assert body["next"] is None and body["previous"] is None
    assert set(body["results"][0]) == {
        "id", "name", "description", "price", "category", "stock", "created_at", "updated_at",
    }  # fmt: skip


def test_default_order_is_newest_first(anon_api, catalogue):
    assert names(anon_api.get("/api/products/")) == ["Notebook", "Blue mug", "Desk lamp", "Red mug"]


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("price", ["Notebook", "Red mug", "Blue mug", "Desk lamp"]),
        ("-price", ["Desk lamp", "Blue mug", "Red mug", "Notebook"]),
        ("name", ["Blue mug", "Desk lamp", "Notebook", "Red mug"]),
        ("-created_at", ["Notebook", "Blue mug", "Desk lamp", "Red mug"]),
    ],
)
def test_ordering(anon_api, catalogue, ordering, expected):
    assert names(anon_api.get("/api/products/", {"ordering": ordering})) == expected


def test_search_matches_name_or_description_case_insensitively(anon_api, catalogue):
    assert sorted(names(anon_api.get("/api/products/", {"search": "MUG"}))) == ["Blue mug", "Red mug"]
    assert names(anon_api.get("/api/products/", {"search": "led"})) == ["Desk lamp"]
    assert names(anon_api.get("/api/products/", {"search": "mug camping"})) == ["Blue mug"]
    assert names(anon_api.get("/api/products/", {"search": "nothing-like-this"})) == []


def test_category_filter_is_case_insensitive_and_exact(anon_api, catalogue):
    result = names(anon_api.get("/api/products/", {"category": "kitchen", "ordering": "name"}))

    assert result == ["Blue mug", "Red mug"]
    assert names(anon_api.get("/api/products/", {"category": "kit"})) == []


def test_price_range_is_inclusive(anon_api, catalogue):
    params = {"min_price": "4.50", "max_price": "7", "ordering": "price"}

    assert names(anon_api.get("/api/products/", params)) == ["Red mug", "Blue mug"]
    assert names(anon_api.get("/api/products/", {"min_price": "10"})) == ["Desk lamp"]
    assert names(anon_api.get("/api/products/", {"max_price": "3.20"})) == ["Notebook"]


def test_filters_combine(anon_api, catalogue):
    params = {"search": "mug", "max_price": "5", "category": "KITCHEN"}

    assert names(anon_api.get("/api/products/", params)) == ["Red mug"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"min_price": "cheap"}, "min_price"),
        ({"max_price": "1e"}, "max_price"),
        ({"ordering": "stock"}, "ordering"),
        ({"ordering": "-id"}, "ordering"),
    ],
)
def test_invalid_filters_are_400_naming_the_parameter(anon_api, catalogue, params, field):
    response = anon_api.get("/api/products/", params)

    assert response.status_code == 400
    assert field in response.json()


def test_pages_follow_each_other_without_overlap(anon_api, make_product):
    for index in range(5):
        make_product(name=f"P{index}", price=Decimal("1.00"))  # same price: the id breaks ties

    first = anon_api.get("/api/products/", {"ordering": "price", "page_size": 2}).json()
    second = anon_api.get(first["next"]).json()
    third = anon_api.get(second["next"]).json()

    assert first["count"] == 5
    assert first["previous"] is None
    assert second["previous"] is not None and "page=" not in second["previous"]
    assert third["next"] is None and "page=2" in third["previous"]
    seen = [row["id"] for page in (first, second, third) for row in page["results"]]
    assert len(seen) == len(set(seen)) == 5


def test_page_size_is_capped_at_100(anon_api):
    Product.objects.bulk_create(Product(name=f"Bulk {i}", price=Decimal("1.00")) for i in range(105))

    body = anon_api.get("/api/products/", {"page_size": 100000}).json()

    assert body["count"] == 105
    assert len(body["results"]) == 100
    assert len(anon_api.get("/api/products/").json()["results"]) == 20


@pytest.mark.parametrize("page", ["0", "99", "abc", "-1"])
def test_a_page_out_of_range_is_404(anon_api, catalogue, page):
    response = anon_api.get("/api/products/", {"page": page})

    assert response.status_code == 404
    assert "detail" in response.json()
