"""Steady order load through the gateway: a background thread that places (and cancels) orders.

Used by the drills (tests/drills.py) and the soak (stack/soak.py); what it accepted is
what stack.ledger settles and checks.
"""

import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import httpx

from stack.harness import SystemFailed

DECLINED_CARD, GOOD_CARD = "tok_chargeDeclined", "tok_visa"


def client(base_url: str, *, source: str = "127.0.0.1", timeout: float = 15) -> httpx.Client:
    """An HTTP client to the gateway whose requests come from `source` (a loopback address)."""
    transport = httpx.HTTPTransport(local_address=source, retries=0)
    return httpx.Client(base_url=base_url, timeout=timeout, transport=transport)


def expect(response: httpx.Response, status: int) -> dict:
    """The JSON body of `response`; SystemFailed when its status is not `status`."""
    if response.status_code != status:
        request = response.request
        raise SystemFailed(f"{request.method} {request.url}: {response.status_code} {response.text[:300]}")
    return response.json()


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def register(api: httpx.Client, *, password: str, prefix: str = "load", name: str = "Load") -> dict:
    """Register a fresh customer; return its registration body, email, password and auth headers."""
    email = f"{prefix}-{uuid.uuid4().hex[:12]}@{prefix}.example.com"
    answer = api.post("/api/auth/register", json={"name": name, "email": email, "password": password})
    body = expect(answer, 201)
    return {**body, "email": email, "password": password, "headers": bearer(body["token"])}


def login(api: httpx.Client, email: str, password: str) -> dict:
    """Log in; return the login body, email, password and auth headers."""
    body = expect(api.post("/api/auth/login", json={"email": email, "password": password}), 200)
    return {**body, "email": email, "password": password, "headers": bearer(body["token"])}


def make_product(api: httpx.Client, admin: dict, *, stock: int, timeout: float = 15, **fields) -> dict:
    """Create a product as `admin` and wait until inventory knows it (so orders of it can reserve)."""
    body = {"name": f"Load product {uuid.uuid4().hex[:8]}", "price": "5.00", "stock": stock, **fields}
    product = expect(api.post("/api/products/", json=body, headers=admin["headers"]), 201)
    deadline = time.monotonic() + timeout
    while api.get(f"/api/inventory/{product['id']}/").status_code != 200:
        if time.monotonic() > deadline:
            raise RuntimeError(f"inventory did not learn product {product['id']} in {timeout} s")
        time.sleep(0.1)
    return product


@dataclass
class Placed:
    order_id: str
    customer: dict
    product: str
    quantity: int
    payment_method: str
    cancel_requested: bool = False


@dataclass
class OrderLoad:
    """Place orders at `rate` per second in a background thread; remember every 201.

    Every `declined_every`-th order pays with a declined card; every `cancel_every`-th
    accepted order paid with a good card is cancelled by its customer at once (0: never).
    """

    base_url: str
    customers: list[dict]
    products: list[dict]
    rate: float = 3.0
    source: str = "127.0.0.1"
    declined_every: int = 5
    cancel_every: int = 0
    accepted: list[Placed] = field(default_factory=list)
    refused: Counter = field(default_factory=Counter)
    requests: Counter = field(default_factory=Counter)
    _stop: threading.Event = field(default_factory=threading.Event)
    _paused: threading.Event = field(default_factory=threading.Event)
    _idle: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def pause(self) -> None:
        """Stop placing orders (the one being placed completes) until `resume()`."""
        self._paused.set()
        self._idle.wait(15)

    def resume(self) -> None:
        self._idle.clear()
        self._paused.clear()

    def _send(self, api: httpx.Client, kind: str, url: str, ok: tuple, **kwargs) -> httpx.Response | None:
        self.requests[kind] += 1
        try:
            response = api.post(url, **kwargs)
        except httpx.HTTPError as exc:
            self.refused[f"{kind}: {type(exc).__name__}"] += 1
            return None
        if response.status_code not in ok:
            self.refused[f"{kind}: {response.status_code}"] += 1
        return response

    def place_one(self, api: httpx.Client, n: int) -> None:
        customer = self.customers[n % len(self.customers)]
        product = self.products[n % len(self.products)]
        declined = bool(self.declined_every) and n % self.declined_every == 0
        method = DECLINED_CARD if declined else GOOD_CARD
        body = {"items": [{"product": product["id"], "quantity": 1}], "payment_method": method}
        headers = {**customer["headers"], "Idempotency-Key": uuid.uuid4().hex}
        response = self._send(api, "place order", "/api/orders/", (201,), json=body, headers=headers)
        if response is None or response.status_code != 201:
            return
        placed = Placed(response.json()["id"], customer, product["id"], 1, method)
        self.accepted.append(placed)
        if not declined and self.cancel_every and len(self.accepted) % self.cancel_every == 0:
            placed.cancel_requested = True
            # The order may already be final (400/409): the ledger reads where it ended.
            url = f"/api/orders/{placed.order_id}/cancel/"
            self._send(api, "cancel order", url, (200, 400, 409), headers=customer["headers"])

    def _run(self) -> None:
        with client(self.base_url, source=self.source, timeout=10) as api:
            n = 0
            while not self._stop.is_set():
                if self._paused.is_set():
                    self._idle.set()
                    self._stop.wait(0.05)
                    continue
                started = time.monotonic()
                self.place_one(api, n)
                n += 1
                self._stop.wait(max(0.0, 1.0 / self.rate - (time.monotonic() - started)))

    def __enter__(self) -> "OrderLoad":
        self._thread = threading.Thread(target=self._run, name="order-load", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(30)
