"""Fault drills: the broker lost, a consumer or relay killed, the whole system stopped mid-load.

Every drill places orders while it breaks something and then checks the ledger (see
drills.audit): every order accepted with 201 reaches a final status, each has at most one
payment, stock dropped by exactly the confirmed quantities, and no outbox row is left unsent.
"""

import signal
import time

import drills
import pytest

STOCK = 10_000


@pytest.fixture(scope="module")
def shop(system, admin):
    """An admin, three customers and two well-stocked products, talking from 127.0.0.21."""
    with drills.client(system, source="127.0.0.21") as api:
        admin = drills.login_again(api, admin)
        customers = [drills.register(api) for _ in range(3)]
        products = [drills.make_product(api, admin, stock=STOCK) for _ in range(2)]
        yield {"api": api, "admin": admin, "customers": customers, "products": products}


def new_products(shop, count: int = 2) -> list[dict]:
    """Fresh products per drill, so that each drill's stock arithmetic is its own."""
    return [drills.make_product(shop["api"], shop["admin"], stock=STOCK) for _ in range(count)]


def load(system, shop, products, *, rate: float = 3.0, source: str = "127.0.0.22"):
    return drills.order_load(system, shop["customers"], products, rate=rate, source=source)


@pytest.mark.disruptive
def test_broker_loss_loses_no_order_and_doubles_nothing(system, shop):
    """Stop the memory-only broker (every topic, message and offset is gone) and start it again."""
    products = new_products(shop)
    with load(system, shop, products) as orders:
        time.sleep(4)  # before: orders flow normally
        drills.quiesce(shop["api"], orders)
        before = len(orders.accepted)
        system.ctl("stop", "broker")
        orders.resume()
        time.sleep(6)  # during: orders are accepted into the outboxes only
        during = len(orders.accepted) - before
        system.ctl("start", "broker")
        time.sleep(6)  # after
    ledger = drills.audit(
        "broker loss", system, shop["api"], shop["admin"], orders, products, STOCK, timeout=120
    )
    after = ledger.accepted - before - during
    print(f"[drill]   accepted before {before}, during the outage {during}, after {after}")
    assert during > 0, "no order was accepted while the broker was down"
    assert ledger.accepted > 0 and ledger.lost == 0 and ledger.doubled == 0, ledger.details


def consumers_and_relays(system) -> list[str]:
    names = system.state()["children"]
    return sorted(name for name in names if name.endswith(("-work", "-consume", "-relay")))


@pytest.mark.disruptive
def test_sigkill_of_every_consumer_and_relay_loses_nothing(system, shop):
    """SIGKILL each consumer and relay in turn under steady order load; the supervisor restarts them."""
    products = new_products(shop)
    victims = consumers_and_relays(system)
    assert victims, "no consumer or relay is running"
    with load(system, shop, products, source="127.0.0.23") as orders:
        for name in victims:
            old = system.kill(name, signal.SIGKILL)
            system.wait_restarted(name, old)
            time.sleep(1)
    ledger = drills.audit(
        f"SIGKILL of {len(victims)} consumers/relays",
        system,
        shop["api"],
        shop["admin"],
        orders,
        products,
        STOCK,
    )
    assert ledger.accepted > 0 and ledger.lost == 0 and ledger.doubled == 0, ledger.details


@pytest.mark.disruptive
def test_database_loss_of_one_service_pauses_it_and_loses_nothing(system, shop):
    """Refuse connections to the payments database: it says DOWN, the rest works, then it catches up."""
    if not drills.uses_postgres(system):
        pytest.skip("needs PostgreSQL (ALLOW_CONNECTIONS); SQLite files cannot refuse connections")
    api, customer = shop["api"], shop["customers"][0]
    products = new_products(shop)
    orders = drills.order_load(system, shop["customers"], products, source="127.0.0.24")
    with drills.connections_refused(system, "payments"):
        started = time.monotonic()
        health = drills.wait_until(
            lambda: (lambda r: r if r.status_code == 503 else None)(api.get("/api/payments/health")),
            timeout=15,
            interval=0.2,
            message="payments health to say DOWN",
        )
        assert health.json()["status"] == "DOWN"
        listing = api.get("/api/payments/", headers=customer["headers"])
        assert listing.status_code == 503 and listing.headers["content-type"].startswith("application/json")
        assert "detail" in listing.json()
        for _ in range(6):
            orders.place_one(api, len(orders.accepted))
        assert len(orders.accepted) == 6, orders.refused
        assert api.get("/api/products/").status_code == 200
        assert api.get("/api/users/profile", headers=customer["headers"]).status_code == 200
        assert api.get(f"/api/inventory/{products[0]['id']}/").status_code == 200
        time.sleep(3)
        waiting = drills.order_statuses(api, shop["customers"])
        assert {waiting[p.order_id]["status"] for p in orders.accepted} == {"PENDING"}
        down_seconds = time.monotonic() - started
    ledger = drills.audit("payments database loss", system, api, shop["admin"], orders, products, STOCK)
    print(f"[drill]   payments database refused connections for {down_seconds:.1f} s")
    assert api.get("/api/payments/health").json()["status"] == "UP"
    assert ledger.lost == 0 and ledger.doubled == 0, ledger.details


@pytest.mark.last
def test_sigterm_of_the_whole_system_mid_load_loses_nothing(system, shop):
    """SIGTERM `up` while orders are placed, start it again on the same data: every order completes once."""
    products = new_products(shop)
    with load(system, shop, products, source="127.0.0.25") as orders:
        time.sleep(5)
        drills.quiesce(shop["api"], orders)  # the broker restarts empty too: see quiesce()
        # Knock on the door again once the gateway (stopped first) is gone, and on until it is back.
        drills.resume_once_the_gateway_is_down(system, orders)
        down = system.restart()
        time.sleep(5)
    ledger = drills.audit(
        "SIGTERM of the whole system", system, shop["api"], shop["admin"], orders, products, STOCK
    )
    print(f"[drill]   the system was down (stop + start) for {down:.1f} s")
    assert ledger.accepted > 0 and ledger.lost == 0 and ledger.doubled == 0, ledger.details
