"""Realistic mixed traffic against a CommerceX deployment, for Locust.

Mostly anonymous browsing and search; some visitors register and buy; a share of their
payments is declined (`tok_chargeDeclined`) and some orders are cancelled again.

    pip install -r requirements/locust.txt      # Locust is not part of the dev requirements
    locust -f bench/locustfile.py --host http://localhost:8000
    locust -f bench/locustfile.py --host http://localhost:8000 --headless -u 200 -r 20 -t 5m

The catalogue must have products. Give an admin account in LOCUST_ADMIN_EMAIL and
LOCUST_ADMIN_PASSWORD (e.g. one made with `manage_all.py createadmin`) and, when the
catalogue is empty, the test creates LOCUST_PRODUCTS (50) products with plenty of stock.
Keep the services' rate limits in mind: run the system with RATE_LIMIT=off (or high limits)
unless the limits are what you want to see.
"""

import os
import random
import uuid

from locust import HttpUser, between, events, task

DECLINED_SHARE = 0.1  # of orders paid with a card that is declined
CANCEL_SHARE = 0.2  # of the orders a customer looks at again, cancelled
SEARCH_WORDS = ["bench", "product", "shirt", "phone", "book", "lamp", "mug", "chair"]

catalogue: list[dict] = []


@events.test_start.add_listener
def load_catalogue(environment, **kwargs) -> None:
    """Read the catalogue once (creating products first when it is empty and an admin is given)."""
    import requests  # a dependency of Locust

    host = (environment.host or "http://localhost:8000").rstrip("/")
    with requests.Session() as client:
        found = client.get(f"{host}/api/products/", params={"page_size": 100}, timeout=30).json()["results"]
        email, password = os.environ.get("LOCUST_ADMIN_EMAIL"), os.environ.get("LOCUST_ADMIN_PASSWORD")
        if not found and email and password:
            login = client.post(
                f"{host}/api/auth/login", json={"email": email, "password": password}, timeout=30
            )
            headers = {"Authorization": f"Bearer {login.json()['token']}"}
            for index in range(int(os.environ.get("LOCUST_PRODUCTS", "50"))):
                body = {
                    "name": f"Locust {random.choice(SEARCH_WORDS)} {index}",
                    "description": "Created by bench/locustfile.py",
                    "price": f"{random.randint(5, 500)}.{random.randint(0, 99):02d}",
                    "stock": 1_000_000,
                    "category": random.choice(["home", "books", "fashion", "tech"]),
                }
                found.append(
                    client.post(f"{host}/api/products/", json=body, headers=headers, timeout=30).json()
                )
    catalogue[:] = [product for product in found if "id" in product]
    if not catalogue:
        raise RuntimeError(
            "the catalogue is empty: set LOCUST_ADMIN_EMAIL/LOCUST_ADMIN_PASSWORD to create products"
        )


def _product() -> dict:
    return random.choice(catalogue)


class Visitor(HttpUser):
    """Browses and searches without an account: most of the traffic."""

    weight = 9
    wait_time = between(1, 4)

    @task(6)
    def product_detail(self) -> None:
        self.client.get(f"/api/products/{_product()['id']}/", name="/api/products/[id]/")

    @task(4)
    def browse(self) -> None:
        params = {
            "page": random.randint(1, 3),
            "ordering": random.choice(["price", "-price", "name", "-created_at"]),
        }
        self.client.get("/api/products/", params=params, name="/api/products/?ordering")

    @task(3)
    def search(self) -> None:
        self.client.get(
            "/api/products/", params={"search": random.choice(SEARCH_WORDS)}, name="/api/products/?search"
        )

    @task(1)
    def category(self) -> None:
        category = _product().get("category") or "home"
        self.client.get("/api/products/", params={"category": category}, name="/api/products/?category")


class Customer(HttpUser):
    """Registers, browses, orders (some payments declined), checks and sometimes cancels orders."""

    weight = 1
    wait_time = between(2, 6)

    def on_start(self) -> None:
        body = {
            "name": "Locust Customer",
            "email": f"locust-{uuid.uuid4().hex[:12]}@example.com",
            "password": f"Lc-{uuid.uuid4().hex}",
        }
        answer = self.client.post("/api/auth/register", json=body, name="/api/auth/register").json()
        self.headers = {"Authorization": f"Bearer {answer.get('token', '')}"}
        self.orders: list[str] = []

    @task(4)
    def browse(self) -> None:
        self.client.get(f"/api/products/{_product()['id']}/", name="/api/products/[id]/")

    @task(2)
    def place_order(self) -> None:
        lines = random.sample(catalogue, k=min(len(catalogue), random.choice([1, 1, 2, 3])))
        body = {
            "items": [{"product": product["id"], "quantity": random.randint(1, 2)} for product in lines],
            "payment_method": "tok_chargeDeclined" if random.random() < DECLINED_SHARE else "tok_visa",
        }
        headers = {**self.headers, "Idempotency-Key": uuid.uuid4().hex}
        with self.client.post("/api/orders/", json=body, headers=headers, catch_response=True) as response:
            if response.status_code == 201:
                self.orders.append(response.json()["id"])
            else:
                response.failure(f"order not placed: {response.status_code}")

    @task(2)
    def follow_order(self) -> None:
        if not self.orders:
            return
        order_id = random.choice(self.orders)
        order = self.client.get(
            f"/api/orders/{order_id}/", headers=self.headers, name="/api/orders/[id]/"
        ).json()
        if order.get("status") in ("PENDING", "PAID", "CONFIRMED") and random.random() < CANCEL_SHARE:
            self.client.post(
                f"/api/orders/{order_id}/cancel/", headers=self.headers, name="/api/orders/[id]/cancel/"
            )
            self.orders.remove(order_id)

    @task(1)
    def my_orders(self) -> None:
        self.client.get("/api/orders/", headers=self.headers)

    @task(1)
    def notifications(self) -> None:
        self.client.get("/api/notifications/", headers=self.headers)
