"""The stock-changed handler keeps `stock` equal to the inventory's latest `available`."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from common.events.testing import dead_letters, deliver
from products.handlers import HANDLERS

pytestmark = pytest.mark.django_db


def stock_changed(product_id, available: int, at=None) -> dict:
    return {
        "productId": str(product_id),
        "available": available,
        "changedAt": (at or timezone.now()).isoformat(),
    }


def test_stock_changed_sets_stock_and_invalidates_the_cache(anon_api, make_product):
    product = make_product(stock=5)
    url = f"/api/products/{product.id}/"
    anon_api.get(url), anon_api.get("/api/products/")
    assert anon_api.get(url)["X-Cache"] == "HIT"

    assert deliver(HANDLERS, "stock-changed", stock_changed(product.id, 2), key=str(product.id))

    product.refresh_from_db()
    assert product.stock == 2
    assert anon_api.get(url).json()["stock"] == 2
    assert anon_api.get("/api/products/").json()["results"][0]["stock"] == 2


def test_a_duplicate_event_is_applied_once(make_product):
    product = make_product(stock=5)
    event_id = str(uuid.uuid4())
    first = stock_changed(product.id, 3)

    assert deliver(HANDLERS, "stock-changed", first, event_id=event_id) is True
    later = stock_changed(product.id, 8)
    deliver(HANDLERS, "stock-changed", later)
    assert deliver(HANDLERS, "stock-changed", first, event_id=event_id) is False

    product.refresh_from_db()
    assert product.stock == 8


def test_an_older_change_arriving_late_is_ignored(make_product):
    product = make_product(stock=5)
    now = timezone.now()

    deliver(HANDLERS, "stock-changed", stock_changed(product.id, 1, at=now))
    deliver(HANDLERS, "stock-changed", stock_changed(product.id, 9, at=now - timedelta(seconds=1)))

    product.refresh_from_db()
    assert product.stock == 1


def test_a_change_for_an_unknown_product_is_skipped(make_product):
    product = make_product(stock=5)

    assert deliver(HANDLERS, "stock-changed", stock_changed(uuid.uuid4(), 1)) is True
    assert deliver(HANDLERS, "stock-changed", stock_changed("not-a-uuid", 1)) is True

    product.refresh_from_db()
    assert product.stock == 5


def test_a_malformed_event_is_dead_lettered_before_any_effect(make_product):
    product = make_product(stock=5)

    applied = deliver(
        HANDLERS, "stock-changed", {"productId": str(product.id), "available": -1, "changedAt": "x"}
    )

    assert applied is False
    [letter] = dead_letters("stock-changed")
    assert letter.headers["dlq_error"] == "schema"
    product.refresh_from_db()
    assert product.stock == 5


def test_after_a_stock_change_commits_the_next_read_is_a_miss_with_the_new_stock(
    anon_api, make_product, django_capture_on_commit_callbacks
):
    product = make_product(stock=5)
    url = f"/api/products/{product.id}/"
    anon_api.get(url)

    with django_capture_on_commit_callbacks(execute=True):
        deliver(HANDLERS, "stock-changed", stock_changed(product.id, 4))

    first, second = anon_api.get(url), anon_api.get(url)
    assert (first["X-Cache"], first.json()["stock"]) == ("MISS", 4)
    assert (second["X-Cache"], second.json()["stock"]) == ("HIT", 4)
