"""The original design's failure scenarios, on the running system (ordered after other tests)."""

import os
import signal
import time

import pytest
from system import VAR, existing_services, wait_until

pytestmark = pytest.mark.disruptive


def test_orders_placed_while_payments_consumer_is_down_complete_when_it_returns(
    system, api, customer, new_product, place_order, order_status
):
    product = new_product(stock=20)
    system.ctl("stop", "payments-work")
    try:
        order_ids = [place_order(customer, [(product, 1)]).json()["id"] for _ in range(3)]
        # Nothing charges them while payments is not consuming (watched for 1.5 s).
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline:
            for order_id in order_ids:
                order = api.get(f"/api/orders/{order_id}/", headers=customer["headers"]).json()
                assert order["status"] == "PENDING"
            time.sleep(0.2)
    finally:
        system.ctl("start", "payments-work")
    for order_id in order_ids:
        order_status(customer, order_id, "CONFIRMED", timeout=30)
    assert api.get(f"/api/inventory/{product['id']}/").json()["available"] == 17


def test_a_stopped_service_answers_503_json_and_the_others_keep_working(system, api):
    system.ctl("stop", "products-web")
    try:
        response = api.get("/api/products/")
        assert response.status_code == 503
        assert response.headers["content-type"].startswith("application/json")
        assert "detail" in response.json()
        assert response.headers["x-content-type-options"] == "nosniff"
        for service in existing_services():
            if service != "products":
                assert api.get(f"/api/{service}/health").status_code == 200, service
    finally:
        system.ctl("start", "products-web")
    wait_until(lambda: api.get("/api/products/").status_code == 200, timeout=30, message="products back")


def test_catalogue_is_served_while_redis_is_down(system, api, admin, new_product):
    if "redis" not in system.state()["children"]:
        pytest.skip("`up` found no redis-server to start a Redis of its own (it never stops a shared one)")
    product = new_product(price="8.00")
    system.ctl("stop", "redis")
    try:
        listed = api.get("/api/products/")
        assert listed.status_code == 200
        fetched = api.get(f"/api/products/{product['id']}/")
        assert fetched.status_code == 200
        assert fetched.json()["price"] == "8.00"
        patched = api.patch(
            f"/api/products/{product['id']}/", json={"price": "9.00"}, headers=admin["headers"]
        )
        assert patched.status_code == 200
        assert api.get(f"/api/products/{product['id']}/").json()["price"] == "9.00"
    finally:
        system.ctl("start", "redis")
    # Back with Redis: still the latest write, never a stale cached price.
    assert api.get(f"/api/products/{product['id']}/").json()["price"] == "9.00"


def test_a_child_that_dies_is_restarted(system, api):
    before = system.state()["children"]["users-web"]
    os.killpg(before["pid"], signal.SIGKILL)

    def restarted():
        child = system.state()["children"]["users-web"]
        return child["pid"] and child["pid"] != before["pid"] and child["restarts"] > before["restarts"]

    wait_until(restarted, timeout=30, interval=0.2, message="users-web to be restarted")
    system.remember_pids()
    wait_until(lambda: api.get("/api/users/health").status_code == 200, timeout=30, message="users back")
    assert "users-web: exited" in (VAR / "log" / "supervisor.log").read_text()
