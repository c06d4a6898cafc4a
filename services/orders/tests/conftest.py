"""Fixtures of the orders service's tests: callers with tokens, a catalogue, a real products server."""

import json
import threading
import uuid
from datetime import timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from common.auth import ROLE_ADMIN
from common.testing import ApiCaller, private_cache_prefix
from orders.models import CatalogueProduct


@pytest.fixture(autouse=True)
def isolated_cache(settings):
    """Give each test its own Redis key prefix (Redis is shared; it is never flushed)."""
    with private_cache_prefix(settings, "orders"):
        yield


@pytest.fixture
def customer(db):
    return ApiCaller()


@pytest.fixture
def other_customer(db):
    return ApiCaller()


@pytest.fixture
def admin(db):
    return ApiCaller(role=ROLE_ADMIN)


@pytest.fixture
def anonymous():
    return APIClient()


@pytest.fixture
def make_product(db):
    """Put a product into the orders service's catalogue copy."""

    def _make(*, name: str = "Desk lamp", price: str = "19.99", product_id: str | None = None):
        return CatalogueProduct.objects.create(
            id=product_id or str(uuid.uuid4()),
            name=name,
            price=Decimal(price),
            version_at=timezone.now() - timedelta(minutes=1),
        )

    return _make


class ProductsServer:
    """A tiny real HTTP server answering GET /api/products/{id}/ from `products`."""

    def __init__(self):
        self.products: dict[str, dict] = {}
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append(self.path)
                product_id = self.path.removeprefix("/api/products/").rstrip("/")
                product = server.products.get(product_id)
                body = json.dumps(product if product else {"detail": "Not found."}).encode()
                self.send_response(200 if product else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def add(self, *, name: str = "Remote kettle", price: str = "42.50") -> dict:
        product_id = str(uuid.uuid4())
        now = timezone.now().isoformat()
        self.products[product_id] = {
            "id": product_id,
            "name": name,
            "description": "",
            "price": price,
            "category": "",
            "stock": 3,
            "created_at": now,
            "updated_at": now,
        }
        return self.products[product_id]


@pytest.fixture(autouse=True)
def products_server(settings):
    """Point PRODUCTS_SERVICE_URL at a real local HTTP server (empty catalogue unless filled)."""
    server = ProductsServer()
    server.thread.start()
    settings.PRODUCTS_SERVICE_URL = server.url
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


@pytest.fixture
def place_order(customer, make_product):
    """Place an order through the API as `customer` (one line of a fresh product by default)."""

    def _place(caller=None, *, items=None, payment_method=None, **extra):
        caller = caller or customer
        if items is None:
            items = [{"product": make_product().id, "quantity": 2}]
        body = {"items": items}
        if payment_method is not None:
            body["payment_method"] = payment_method
        response = caller.post("/api/orders/", body, **extra)
        assert response.status_code == 201, response.content
        return response.json()

    return _place
