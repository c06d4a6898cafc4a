"""The cache under failure: Redis down, the database down, and a stampede of misses."""

import copy
import logging
import socket
import threading
import time

import pytest
from django.conf import settings
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext, override_settings
from rest_framework.test import APIClient

from products import cache as product_cache
from products import selectors


def dead_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def redis_down():
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["LOCATION"] = f"redis://127.0.0.1:{dead_port()}/0"
    return override_settings(CACHES=caches)


@pytest.mark.django_db
def test_with_redis_down_reads_and_writes_are_served_from_the_database(
    anon_api, admin_api, make_product, caplog
):
    product = make_product(name="Lamp")
    caplog.set_level(logging.WARNING, logger="products.cache")

    with redis_down():
        detail = anon_api.get(f"/api/products/{product.id}/")
        listing = anon_api.get("/api/products/", {"search": "lamp"})
        created = admin_api.post(
            "/api/products/", {"name": "Pen", "price": "1.00", "stock": 1}, format="json"
        )
        patched = admin_api.patch(f"/api/products/{product.id}/", {"name": "Lamp 2"}, format="json")
        again = anon_api.get(f"/api/products/{product.id}/")

    assert (detail.status_code, detail["X-Cache"], detail.json()["name"]) == (200, "MISS", "Lamp")
    assert (listing.status_code, listing["X-Cache"], listing.json()["count"]) == (200, "MISS", 1)
    assert created.status_code == 201 and patched.status_code == 200
    assert (again.status_code, again.json()["name"]) == (200, "Lamp 2")
    assert any("redis unavailable" in record.getMessage() for record in caplog.records)


@pytest.mark.django_db
def test_an_invalidation_missed_while_redis_was_down_is_applied_when_it_is_back(
    anon_api, admin_api, make_product
):
    product = make_product(name="Before")
    url = f"/api/products/{product.id}/"
    anon_api.get(url), anon_api.get("/api/products/")  # cached while Redis is up

    with redis_down():
        assert admin_api.patch(url, {"name": "After"}, format="json").status_code == 200
    product_cache.breaker.reset()  # as if the retry interval had passed

    assert anon_api.get(url).json()["name"] == "After"
    assert [row["name"] for row in anon_api.get("/api/products/").json()["results"]] == ["After"]


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_cached_reads_are_still_served_while_the_database_is_unreachable(anon_api, make_product):
    product = make_product(name="Lamp")
    detail, listing = f"/api/products/{product.id}/", "/api/products/"
    assert anon_api.get(detail)["X-Cache"] == "MISS"
    assert anon_api.get(listing)["X-Cache"] == "MISS"

    original_port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = dead_port()
    try:
        cached_detail, cached_list = anon_api.get(detail), anon_api.get(listing)
        uncached = anon_api.get(listing, {"search": "not cached"})
        health = anon_api.get("/api/products/health")
    finally:
        connection.close()
        connection.settings_dict["PORT"] = original_port

    assert (cached_detail.status_code, cached_detail["X-Cache"]) == (200, "HIT")
    assert cached_detail.json()["name"] == "Lamp"
    assert (cached_list.status_code, cached_list["X-Cache"]) == (200, "HIT")
    assert cached_list.json()["count"] == 1
    assert uncached.status_code == 503 and "detail" in uncached.json()
    assert health.status_code == 503


def _concurrent_gets(url: str, workers: int) -> list[tuple[int, str, int]]:
    """GET `url` from `workers` threads at once; return (status, X-Cache, product queries) each."""
    barrier = threading.Barrier(workers)
    results: list = [None] * workers

    def work(index: int) -> None:
        try:
            client = APIClient()
            barrier.wait()
            with CaptureQueriesContext(connections["default"]) as queries:
                response = client.get(url)
            product_queries = sum("products_product" in query["sql"] for query in queries.captured_queries)
            results[index] = (response.status_code, response["X-Cache"], product_queries)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(index,)) for index in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def _slowly(load):
    def wrapper(*args, **kwargs):
        time.sleep(0.3)
        return load(*args, **kwargs)

    return wrapper


@pytest.fixture
def slow_database_reads(monkeypatch):
    """Make every product load take a while (then read for real), so concurrent misses overlap."""
    monkeypatch.setattr(selectors, "product_data", _slowly(selectors.product_data))
    monkeypatch.setattr(selectors, "_load_page", _slowly(selectors._load_page))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("url", ["/api/products/{id}/", "/api/products/?search=lamp"])
def test_concurrent_misses_for_one_key_query_the_database_once(
    make_product, slow_database_reads, settings, url
):
    # A loaded CI machine must time out neither the waiters nor the loader's lock.
    settings.PRODUCTS_CACHE_WAIT_SECONDS = settings.PRODUCTS_CACHE_LOCK_SECONDS = 20
    product = make_product(name="Lamp")
    workers = 8

    results = _concurrent_gets(url.format(id=product.id), workers)

    assert [status for status, _, _ in results] == [200] * workers
    assert sorted(cache for _, cache, _ in results) == ["HIT"] * (workers - 1) + ["MISS"]
    assert sum(queries for _, _, queries in results) == (1 if "search" not in url else 2)
