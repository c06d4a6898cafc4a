"""Shared parts of the reliability drills: steady order load, convergence, and the ledger check.

A drill places orders through the gateway while it breaks something, then waits until
every order accepted with 201 reached a final status and checks the effects: one payment
per order, stock reduced exactly by the confirmed quantities, no outbox row left unsent.
Each drill talks from its own loopback address (127.0.0.x) so that the per-IP rate limits
it spends are its own and not the rest of the suite's.
"""

import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlparse, urlunparse

import httpx
from system import ROOT, existing_services, wait_until

FINAL_STATUSES = {"CONFIRMED", "SHIPPED", "CANCELLED"}
PASSWORD = "Drill-pass-7310-x"


def client(system, *, source: str = "127.0.0.1", timeout: float = 15) -> httpx.Client:
    """An HTTP client to the gateway whose requests come from `source` (a loopback address)."""
    transport = httpx.HTTPTransport(local_address=source, retries=0)
    return httpx.Client(base_url=system.gateway_url, timeout=timeout, transport=transport)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def register(api: httpx.Client, prefix: str = "drill") -> dict:
    email = f"{prefix}-{uuid.uuid4().hex[:12]}@drill.example.com"
    response = api.post("/api/auth/register", json={"name": "Drill", "email": email, "password": PASSWORD})
    assert response.status_code == 201, response.text
    body = response.json()
    return {**body, "email": email, "headers": bearer(body["token"])}


def login_again(api: httpx.Client, account: dict) -> dict:
    """A fresh token for `account` (the session's admin, made with `manage_all.py createadmin`).

    Access tokens live 15 minutes; a drill module may start later than that in the session.
    """
    response = api.post("/api/auth/login", json={"email": account["email"], "password": account["password"]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["role"] == "admin"
    return {**account, **body, "headers": bearer(body["token"])}


def make_product(api: httpx.Client, admin: dict, *, stock: int, price: str = "5.00") -> dict:
    body = {"name": f"Drill product {uuid.uuid4().hex[:8]}", "price": price, "stock": stock}
    response = api.post("/api/products/", json=body, headers=admin["headers"])
    assert response.status_code == 201, response.text
    product = response.json()
    wait_until(
        lambda: api.get(f"/api/inventory/{product['id']}/").status_code == 200,
        timeout=15,
        interval=0.2,
        message="inventory to know the drill product",
    )
    return product


@dataclass
class Placed:
    order_id: str
    customer: dict
    product: str
    quantity: int
    payment_method: str


@dataclass
class OrderLoad:
    """Place orders at a steady rate in a background thread; remember every 201."""

    system: object
    customers: list[dict]
    products: list[dict]
    rate: float = 3.0
    source: str = "127.0.0.1"
    declined_every: int = 5
    accepted: list[Placed] = field(default_factory=list)
    refused: dict = field(default_factory=dict)
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

    def place_one(self, api: httpx.Client, n: int) -> None:
        customer = self.customers[n % len(self.customers)]
        product = self.products[n % len(self.products)]
        method = "tok_chargeDeclined" if self.declined_every and n % self.declined_every == 0 else "tok_visa"
        body = {"items": [{"product": product["id"], "quantity": 1}], "payment_method": method}
        try:
            response = api.post("/api/orders/", json=body, headers=customer["headers"])
        except httpx.HTTPError as exc:
            self.refused[type(exc).__name__] = self.refused.get(type(exc).__name__, 0) + 1
            return
        if response.status_code == 201:
            self.accepted.append(Placed(response.json()["id"], customer, product["id"], 1, method))
        else:
            self.refused[response.status_code] = self.refused.get(response.status_code, 0) + 1

    def _run(self) -> None:
        with client(self.system, source=self.source, timeout=10) as api:
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
        self._thread = threading.Thread(target=self._run, name="drill-order-load", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(30)


def order_statuses(api: httpx.Client, customers: list[dict]) -> dict[str, dict]:
    """Every order of `customers`, by id (one paginated list per customer)."""
    found = {}
    for customer in customers:
        url = "/api/orders/?page_size=100"
        while url:
            response = api.get(url, headers=customer["headers"])
            if response.status_code != 200:
                return {}
            body = response.json()
            found.update({order["id"]: order for order in body["results"]})
            url = body["next"]
    return found


def quiesce(api: httpx.Client, load: OrderLoad, *, timeout: float = 30) -> float:
    """Pause the load and wait until every order placed so far is final; return the seconds waited.

    A memory-only broker loses events it acknowledged but nobody had read yet: the drills
    that lose the broker break it between sagas, not in the middle of one (docs/SECURITY.md,
    "Known limits").
    """
    load.pause()
    seconds, _orders = converge(api, list(load.accepted), timeout=timeout)
    return seconds


def converge(api: httpx.Client, placed: list[Placed], *, timeout: float) -> tuple[float, dict[str, dict]]:
    """Wait until every placed order has a final status; return the seconds it took and the orders."""
    customers = list({id(p.customer): p.customer for p in placed}.values())
    wanted = {p.order_id for p in placed}
    started = time.monotonic()
    latest: dict[str, dict] = {}

    def done():
        latest.clear()
        latest.update(order_statuses(api, customers))
        return all(latest.get(order_id, {}).get("status") in FINAL_STATUSES for order_id in wanted)

    try:
        wait_until(
            done, timeout=timeout, interval=1.0, message="every accepted order to reach a final status"
        )
    except AssertionError:
        stuck = {
            o: latest.get(o, {}).get("status")
            for o in wanted
            if latest.get(o, {}).get("status") not in FINAL_STATUSES
        }
        raise AssertionError(f"{len(stuck)} accepted orders never reached a final status: {stuck}") from None
    return time.monotonic() - started, {o: latest[o] for o in wanted}


def payments_by_order(api: httpx.Client, admin: dict, order_ids: set[str]) -> dict[str, list[dict]]:
    """The payments of `order_ids`, by order (the admin's list of every payment)."""
    found: dict[str, list[dict]] = {order_id: [] for order_id in order_ids}
    for order_id in order_ids:
        response = api.get(f"/api/payments/?order={order_id}", headers=admin["headers"])
        assert response.status_code == 200, response.text
        found[order_id] = response.json()["results"]
    return found


def unsent_outbox_rows(system) -> dict[str, int]:
    """Outbox rows not yet acknowledged by the broker, per service database."""
    counts = {}
    for service in existing_services():
        url = system.env.get(f"{service.upper()}_DATABASE_URL", "")
        query = "SELECT count(*) FROM events_outboxevent WHERE sent_at IS NULL"
        if url.startswith(("postgres://", "postgresql://")):
            import psycopg

            with psycopg.connect(url, connect_timeout=5) as connection:
                counts[service] = connection.execute(query).fetchone()[0]
        else:
            path = system.env.get("COMMERCEX_VAR_DIR") + f"/db/{service}.sqlite3"
            with sqlite3.connect(path, timeout=10) as connection:
                counts[service] = connection.execute(query).fetchone()[0]
    return counts


@dataclass
class Ledger:
    """The figures a drill prints and asserts on."""

    name: str
    accepted: int
    completed: int
    lost: int
    doubled: int
    converge_seconds: float
    refused: dict
    details: list[str]

    def print(self) -> None:
        print(
            f"\n[drill] {self.name}: orders accepted {self.accepted}, completed {self.completed}, "
            f"lost {self.lost}, doubled effects {self.doubled}, converged in {self.converge_seconds:.1f} s"
            f", refused while broken {self.refused or {}}",
            flush=True,
        )
        for line in self.details:
            print(f"[drill]   {line}", flush=True)


def audit(
    name: str, system, api, admin, load: OrderLoad, products: list[dict], stock: int, *, timeout: float = 90
):
    """Converge, then check one payment per order, exact stock, empty outboxes; return the ledger."""
    placed = load.accepted
    seconds, orders = converge(api, placed, timeout=timeout)
    payments = payments_by_order(api, admin, {p.order_id for p in placed})
    details, doubled = [], 0
    for order_id, rows in payments.items():
        if len(rows) > 1:
            doubled += 1
            details.append(f"order {order_id} has {len(rows)} payments: {rows}")
    for product in products:
        confirmed = sum(
            p.quantity
            for p in placed
            if p.product == product["id"] and orders[p.order_id]["status"] != "CANCELLED"
        )
        available = api.get(f"/api/inventory/{product['id']}/").json()["available"]
        if available != stock - confirmed:
            doubled += 1
            details.append(f"product {product['id']}: available {available}, expected {stock} - {confirmed}")
    unsent = wait_until(
        lambda: (lambda counts: counts if not any(counts.values()) else None)(unsent_outbox_rows(system)),
        timeout=30,
        interval=0.5,
        message="every outbox to be empty",
    )
    completed = sum(1 for order in orders.values() if order["status"] in FINAL_STATUSES)
    statuses = {}
    for order in orders.values():
        key = order["status"] + (
            f"/{order['cancellation_reason']}" if order.get("cancellation_reason") else ""
        )
        statuses[key] = statuses.get(key, 0) + 1
    details.insert(0, f"final statuses {statuses}; unsent outbox rows {unsent}")
    ledger = Ledger(
        name, len(placed), completed, len(placed) - completed, doubled, seconds, load.refused, details
    )
    ledger.print()
    return ledger


def kill_child(system, name: str, sig: int = signal.SIGKILL) -> int:
    """Send `sig` to one child of `up` (by its name in state.json); return the pid it had."""
    pid = system.state()["children"][name]["pid"]
    assert pid, f"{name} is not running"
    os.kill(pid, sig)
    return pid


def wait_child_restarted(system, name: str, old_pid: int, *, timeout: float = 30) -> None:
    def restarted():
        child = system.state().get("children", {}).get(name, {})
        return child.get("pid") and child["pid"] != old_pid and child.get("state") == "running"

    wait_until(restarted, timeout=timeout, interval=0.2, message=f"{name} to be restarted")


def resume_once_the_gateway_is_down(system, load: OrderLoad) -> threading.Thread:
    """Resume the load as soon as the gateway refuses connections (it is the first part `up` stops)."""

    def watch():
        host, port = "127.0.0.1", int(system.env["GATEWAY_PORT"])
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection((host, port), timeout=1).close()
            except OSError:
                break
            time.sleep(0.05)
        load.resume()

    watcher = threading.Thread(target=watch, name="drill-gateway-watch", daemon=True)
    watcher.start()
    return watcher


def restart_whole_system(system) -> float:
    """SIGTERM `up`, check it left nothing behind, start it again on the same data; return seconds down."""
    stopped_at = time.monotonic()
    leftovers = system.stop()
    assert not leftovers, leftovers
    with open(system.log, "ab") as out:
        system.process = subprocess.Popen(
            [sys.executable, str(ROOT / "manage_all.py"), "up"],
            cwd=ROOT,
            env=system.env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    wait_until(system._ready, timeout=240, interval=0.5, message="`up` to be healthy again")
    system.remember_pids()
    return time.monotonic() - stopped_at


def uses_postgres(system) -> bool:
    return all(
        urlparse(system.env.get(f"{service.upper()}_DATABASE_URL", "")).scheme in ("postgres", "postgresql")
        for service in existing_services()
    )


@contextlib.contextmanager
def connections_refused(system, service: str):
    """Make PostgreSQL refuse new connections to `service`'s database and end the open ones, for the block."""
    import psycopg
    from psycopg import sql

    url = system.env[f"{service.upper()}_DATABASE_URL"]
    database = urlparse(url).path.lstrip("/")
    assert database.startswith("commercex_e2e_"), database  # only the test system's databases
    maintenance = urlunparse(urlparse(url)._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True, connect_timeout=5) as admin:
        admin.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS false").format(sql.Identifier(database)))
        try:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                [database],
            )
            yield
        finally:
            admin.execute(
                sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS true").format(sql.Identifier(database))
            )


def unverified_role(token: str) -> str | None:
    """The `role` claim of a JWT, read without checking the signature."""
    import jwt

    return jwt.decode(token, options={"verify_signature": False}).get("role")
