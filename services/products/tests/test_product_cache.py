"""The read-aside cache: HIT/MISS, never stale after a write, and writes visible at once."""

import pytest

from products import cache as product_cache
from products import entries

pytestmark = pytest.mark.django_db


def test_detail_is_a_miss_then_a_hit(anon_api, make_product):
    product = make_product(name="Lamp")
    url = f"/api/products/{product.id}/"

    first, second = anon_api.get(url), anon_api.get(url)

    assert first["X-Cache"] == "MISS"
    assert second["X-Cache"] == "HIT"
    assert first.json() == second.json()
    assert second.json()["name"] == "Lamp"


def test_list_is_a_miss_then_a_hit_per_query(anon_api, make_product):
    make_product(name="Lamp")

    assert anon_api.get("/api/products/")["X-Cache"] == "MISS"
    assert anon_api.get("/api/products/")["X-Cache"] == "HIT"
    assert anon_api.get("/api/products")["X-Cache"] == "HIT"
    assert anon_api.get("/api/products/", {"search": "lamp"})["X-Cache"] == "MISS"
    assert anon_api.get("/api/products/", {"search": "lamp"})["X-Cache"] == "HIT"


def test_a_hit_does_not_touch_the_database(anon_api, make_product, django_assert_num_queries):
    product = make_product()
    anon_api.get(f"/api/products/{product.id}/")
    anon_api.get("/api/products/")

    with django_assert_num_queries(0):
        assert anon_api.get(f"/api/products/{product.id}/")["X-Cache"] == "HIT"
        assert anon_api.get("/api/products/")["X-Cache"] == "HIT"


def test_a_hit_keeps_the_links_of_the_callers_host(anon_api, make_product):
    for _ in range(3):
        make_product()
    anon_api.get("/api/products/", {"page_size": 1}, HTTP_HOST="a.example")

    hit = anon_api.get("/api/products/", {"page_size": 1}, HTTP_HOST="b.example")

    assert hit["X-Cache"] == "HIT"
    assert hit.json()["next"].startswith("http://b.example/")


def test_an_unknown_product_404_is_cached(anon_api):
    missing = anon_api.get("/api/products/00000000-0000-4000-8000-000000000001/")
    again = anon_api.get("/api/products/00000000-0000-4000-8000-000000000001/")

    assert (missing.status_code, missing["X-Cache"]) == (404, "MISS")
    assert (again.status_code, again["X-Cache"]) == (404, "HIT")


@pytest.mark.parametrize(
    ("method", "body"),
    [("patch", {"name": "After"}), ("put", {"name": "After", "price": "2.00"})],
)
def test_no_stale_detail_or_list_after_an_update(anon_api, admin_api, make_product, method, body):
    product = make_product(name="Before")
    url = f"/api/products/{product.id}/"
    assert anon_api.get(url)["X-Cache"] == "MISS"
    assert anon_api.get(url)["X-Cache"] == "HIT"
    assert names(anon_api.get("/api/products/")) == ["Before"]
    assert anon_api.get("/api/products/")["X-Cache"] == "HIT"

    assert getattr(admin_api, method)(url, body, format="json").status_code == 200

    assert anon_api.get(url).json()["name"] == "After"
    assert names(anon_api.get("/api/products/")) == ["After"]
    assert names(anon_api.get("/api/products/", {"search": "after"})) == ["After"]


def test_no_stale_detail_or_list_after_a_delete(anon_api, admin_api, make_product):
    product = make_product(name="Doomed")
    url = f"/api/products/{product.id}/"
    anon_api.get(url), anon_api.get(url), anon_api.get("/api/products/"), anon_api.get("/api/products/")

    assert admin_api.delete(url).status_code == 204

    assert anon_api.get(url).status_code == 404
    assert anon_api.get("/api/products/").json()["count"] == 0


def test_a_created_product_appears_in_a_cached_list(anon_api, admin_api):
    assert anon_api.get("/api/products/").json()["count"] == 0
    assert anon_api.get("/api/products/")["X-Cache"] == "HIT"

    admin_api.post("/api/products/", {"name": "New", "price": "1.00", "stock": 1}, format="json")

    assert names(anon_api.get("/api/products/")) == ["New"]


def test_after_a_committed_write_the_next_read_is_a_miss_with_the_new_product(
    anon_api, admin_api, make_product, django_capture_on_commit_callbacks
):
    product = make_product(name="Before")
    url = f"/api/products/{product.id}/"
    anon_api.get(url)

    with django_capture_on_commit_callbacks(execute=True):
        admin_api.patch(url, {"name": "After"}, format="json")

    first, second = anon_api.get(url), anon_api.get(url)
    assert (first["X-Cache"], first.json()["name"]) == ("MISS", "After")
    assert (second["X-Cache"], second.json()["name"]) == ("HIT", "After")


def test_a_stale_fill_cannot_overwrite_the_committed_product(
    anon_api, admin_api, make_product, django_capture_on_commit_callbacks
):
    """A reader that missed before a write committed, and loaded the old row, fills nothing."""
    product = make_product(name="Before")
    url = f"/api/products/{product.id}/"
    stale = entries.detail_entry({"id": str(product.id), "name": "Before"})

    def load_old_row_while_a_write_commits():
        with django_capture_on_commit_callbacks(execute=True):
            admin_api.patch(url, {"name": "After"}, format="json")
        return stale

    read = product_cache.read_through(
        lambda: product_cache.detail_key(product.id), load_old_row_while_a_write_commits
    )

    assert read.value == stale
    assert anon_api.get(url).json()["name"] == "After"


def names(response) -> list[str]:
    assert response.status_code == 200
    return [row["name"] for row in response.json()["results"]]
