"""Fixtures of the end-to-end suite: one running system per session, clients, test data."""

import uuid

import httpx
import pytest
from events import EventLog
from otlp import OtlpReceiver
from system import discard, make_system, wait_until

from stack import load

ADMIN_PASSWORD = "e2e-Admin-pass-9471"
CUSTOMER_PASSWORD = "e2e-Customer-pass-5382"


def pytest_collection_modifyitems(items):
    """Run disruptive tests after the others, and `last` tests at the very end."""

    def rank(item) -> int:
        if item.get_closest_marker("last"):
            return 2
        return 1 if item.get_closest_marker("disruptive") else 0

    items.sort(key=rank)


@pytest.fixture(scope="session")
def otlp():
    """The OTLP/HTTP receiver every service of the system exports its spans to."""
    receiver = OtlpReceiver()
    receiver.start()
    yield receiver
    receiver.stop()


@pytest.fixture(scope="session")
def system(otlp):
    running = make_system()
    running.env.update(otlp.environment())
    running.start()
    yield running
    leftovers = running.stop()
    assert not leftovers, "processes left running after `up` stopped:\n" + "\n".join(leftovers)
    discard(running)


@pytest.fixture(scope="session")
def api(system):
    with httpx.Client(base_url=system.gateway_url, timeout=15) as client:
        yield client


bearer = load.bearer


def unique_email(prefix: str = "customer") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}@e2e.example.com"


@pytest.fixture(scope="session")
def admin(system, api):
    """An admin account made with `manage_all.py createadmin`, logged in through the gateway."""
    email = unique_email("admin")
    system.create_admin(email, ADMIN_PASSWORD)
    account = load.login(api, email, ADMIN_PASSWORD)
    assert account["role"] == "admin"
    return account


@pytest.fixture
def new_customer(api):
    """Register a fresh customer; return its registration body plus auth headers."""

    def make(name: str = "E2E Customer") -> dict:
        return load.register(api, password=CUSTOMER_PASSWORD, prefix="customer", name=name)

    return make


@pytest.fixture
def customer(new_customer):
    return new_customer()


@pytest.fixture
def new_product(api, admin):
    """Create a product as admin and wait until orders and inventory know it."""

    def make(*, price: str = "10.00", stock: int = 10, name: str | None = None, **extra) -> dict:
        name = name or f"E2E product {uuid.uuid4().hex[:8]}"
        return load.make_product(api, admin, stock=stock, price=price, name=name, timeout=5, **extra)

    return make


@pytest.fixture
def place_order(api):
    def place(customer: dict, lines: list[tuple[dict, int]], **extra) -> httpx.Response:
        items = [{"product": product["id"], "quantity": quantity} for product, quantity in lines]
        return api.post("/api/orders/", json={"items": items, **extra}, headers=customer["headers"])

    return place


@pytest.fixture
def order_status(api):
    """Return a waiter: poll an order until it reaches `status`; return the order."""

    def wait(customer: dict, order_id: str, status: str, *, timeout: float = 10) -> dict:
        def reached():
            response = api.get(f"/api/orders/{order_id}/", headers=customer["headers"])
            assert response.status_code == 200, response.text
            order = response.json()
            return order if order["status"] == status else None

        return wait_until(reached, timeout=timeout, interval=0.1, message=f"order {order_id} → {status}")

    return wait


@pytest.fixture(scope="session")
def events(system, api):
    """Every message on the order-flow topics since the session started, read from the broker."""
    log = EventLog(
        system.kafka_bootstrap_servers,
        topics=[
            "order-created",
            "payment-completed",
            "order-cancelled",
            "payment-refunded",
            "user-registered",
            "order-created.dlq",
        ],
    )
    log.start()
    yield log
    log.stop()
