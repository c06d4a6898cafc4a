"""`manage_all.py soak --minutes N`: mixed load for a while, then the ledger and every process's RSS.

It starts the whole system (`manage_all.py up` on free ports, var/soak, databases
commercex_soak_<service> when <SERVICE>_DATABASE_URL points at PostgreSQL), or uses a
running one given with --url. Browsers read the catalogue (most of the traffic); buyers
place orders, a fifth of them with a declined card, and cancel some of them. At the end it
waits for every accepted order to settle and prints: requests and errors, orders accepted,
lost (never settled), doubled effects (two payments for one order, stock off by anything),
and the resident memory of every process at the start and the end. Exit code 1 when any
error, lost order or doubled effect was seen.
"""

import contextlib
import os
import random
import secrets
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import httpx

from stack.registry import VAR, existing_services

FINAL = {"CONFIRMED", "SHIPPED", "CANCELLED"}
STOCK = 1_000_000
PASSWORD = "Soak-pass-" + secrets.token_hex(6)


def say(message: str) -> None:
    print(f"[soak] {message}", flush=True)


# ---- processes and memory --------------------------------------------------------------


def rss_by_child(state: dict) -> dict[str, int]:
    """Resident memory (KiB) of each child of `up`, summed over its process group (gunicorn workers)."""
    groups: dict[int, int] = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        with contextlib.suppress(OSError, ProcessLookupError, ValueError):
            pgid = os.getpgid(int(proc.name))
            for line in (proc / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    groups[pgid] = groups.get(pgid, 0) + int(line.split()[1])
    return {
        name: groups.get(child["pid"], 0)
        for name, child in sorted(state.get("children", {}).items())
        if child.get("pid")
    }


def print_rss(start: dict[str, int], end: dict[str, int]) -> None:
    say(f"{'process':<24} {'RSS start':>10} {'RSS end':>10} {'change':>8}")
    for name in sorted(set(start) | set(end)):
        before, after = start.get(name, 0), end.get(name, 0)
        change = f"{(after - before) / before * 100:+.0f}%" if before else "n/a"
        say(f"{name:<24} {before / 1024:>8.1f}MB {after / 1024:>8.1f}MB {change:>8}")
    say(f"{'total':<24} {sum(start.values()) / 1024:>8.1f}MB {sum(end.values()) / 1024:>8.1f}MB")


# ---- the load ----------------------------------------------------------------------------


# The load mix uses `random` (B311 marked nosec below): it picks what to do, it guards nothing.
class Soak:
    def __init__(
        self, base_url: str, *, admin: dict, minutes: float, order_rate: float, browsers: int
    ) -> None:
        self.base_url = base_url
        self.admin = admin
        self.seconds = minutes * 60
        self.order_rate = order_rate
        self.browsers = browsers
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.requests: Counter = Counter()
        self.errors: Counter = Counter()
        self.orders: list[dict] = []  # {id, customer, product, quantity, declined, cancel}
        self.products: list[dict] = []
        self.customers: list[dict] = []

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=20)

    def call(self, api: httpx.Client, kind: str, method: str, url: str, ok: tuple = (200,), **kwargs):
        """Send one request; count it, and count anything but an `ok` status as an error."""
        with self.lock:
            self.requests[kind] += 1
        try:
            response = api.request(method, url, **kwargs)
        except httpx.HTTPError as error:
            with self.lock:
                self.errors[f"{kind}: {type(error).__name__}"] += 1
            return None
        if response.status_code not in ok:
            with self.lock:
                self.errors[f"{kind}: {response.status_code}"] += 1
        return response

    def prepare(self, api: httpx.Client) -> None:
        headers = self.admin["headers"]
        for n in range(8):
            body = {
                "name": f"Soak product {n} {uuid.uuid4().hex[:6]}",
                "price": f"{5 + n}.50",
                "stock": STOCK,
                "category": random.choice(["books", "tools", "games"]),  # nosec B311
                "description": "soak " * 20,
            }
            response = api.post("/api/products/", json=body, headers=headers)
            response.raise_for_status()
            self.products.append(response.json())
        for _ in range(10):
            email = f"soak-{uuid.uuid4().hex[:12]}@soak.example.com"
            response = api.post(
                "/api/auth/register", json={"name": "Soak", "email": email, "password": PASSWORD}
            )
            response.raise_for_status()
            token = response.json()["token"]
            headers = {"Authorization": f"Bearer {token}"}
            self.customers.append({"email": email, "password": PASSWORD, "headers": headers})
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if all(api.get(f"/api/inventory/{p['id']}/").status_code == 200 for p in self.products):
                return
            time.sleep(0.5)
        raise RuntimeError("inventory did not learn the soak products within 30 s")

    def refresh_tokens(self, api: httpx.Client) -> None:
        """Log everyone in again: access tokens live 15 minutes, a soak may run for hours."""
        for account in [*self.customers, self.admin]:
            response = api.post(
                "/api/auth/login", json={"email": account["email"], "password": account["password"]}
            )
            if response.status_code == 200:
                account["headers"]["Authorization"] = f"Bearer {response.json()['token']}"

    def browse(self) -> None:
        rng = random.Random()  # nosec B311
        with self.client() as api:
            while not self.stop.is_set():
                pick = rng.random()
                product = rng.choice(self.products)
                if pick < 0.45:
                    page = f"/api/products/?page={rng.randint(1, 3)}&page_size=20"
                    self.call(api, "browse list", "GET", page, ok=(200, 404))
                elif pick < 0.65:
                    self.call(
                        api,
                        "browse search",
                        "GET",
                        "/api/products/",
                        params={"search": "soak", "ordering": "price"},
                    )
                elif pick < 0.9:
                    self.call(api, "browse product", "GET", f"/api/products/{product['id']}/")
                else:
                    self.call(api, "browse stock", "GET", f"/api/inventory/{product['id']}/")
                self.stop.wait(rng.uniform(0.02, 0.08))

    def buy(self) -> None:
        rng = random.Random()  # nosec B311
        with self.client() as api:
            while not self.stop.is_set():
                started = time.monotonic()
                customer, product = rng.choice(self.customers), rng.choice(self.products)
                declined = rng.random() < 0.2
                body = {
                    "items": [{"product": product["id"], "quantity": rng.randint(1, 3)}],
                    "payment_method": "tok_chargeDeclined" if declined else "tok_visa",
                }
                headers = {**customer["headers"], "Idempotency-Key": uuid.uuid4().hex}
                response = self.call(
                    api, "place order", "POST", "/api/orders/", ok=(201,), json=body, headers=headers
                )
                if response is not None and response.status_code == 201:
                    order = {
                        "id": response.json()["id"],
                        "product": product["id"],
                        "quantity": body["items"][0]["quantity"],
                        "declined": declined,
                    }
                    with self.lock:
                        self.orders.append(order)
                    if not declined and rng.random() < 0.15:
                        # Cancel at once or a little later; the order may already be final (409/400).
                        self.stop.wait(rng.uniform(0, 1.5))
                        cancel = f"/api/orders/{order['id']}/cancel/"
                        self.call(
                            api,
                            "cancel order",
                            "POST",
                            cancel,
                            ok=(200, 400, 409),
                            headers=customer["headers"],
                        )
                self.call(api, "my orders", "GET", "/api/orders/?page_size=10", headers=customer["headers"])
                self.stop.wait(max(0.0, 1.0 / self.order_rate - (time.monotonic() - started)))

    def run(self) -> None:
        threads = [threading.Thread(target=self.browse, daemon=True) for _ in range(self.browsers)]
        threads.append(threading.Thread(target=self.buy, daemon=True))
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + self.seconds
        next_refresh = time.monotonic() + 600
        while time.monotonic() < deadline:
            time.sleep(min(15.0, max(0.0, deadline - time.monotonic())))
            if time.monotonic() > next_refresh:
                next_refresh = time.monotonic() + 600
                with self.client() as api:
                    self.refresh_tokens(api)
            with self.lock:
                requests, errors = sum(self.requests.values()), sum(self.errors.values())
                say(f"{requests} requests, {errors} errors, {len(self.orders)} orders so far")
        self.stop.set()
        for thread in threads:
            thread.join(30)

    # ---- the ledger --------------------------------------------------------------------
    def settle(self, api: httpx.Client, timeout: float = 120) -> tuple[dict[str, dict], float]:
        started, wanted = time.monotonic(), {order["id"] for order in self.orders}
        latest: dict[str, dict] = {}
        while True:
            latest.clear()
            for customer in self.customers:
                url = "/api/orders/?page_size=100"
                while url:
                    body = api.get(url, headers=customer["headers"]).json()
                    latest.update({order["id"]: order for order in body["results"]})
                    url = body["next"]
            pending = [i for i in wanted if latest.get(i, {}).get("status") not in FINAL]
            if not pending or time.monotonic() - started > timeout:
                return latest, time.monotonic() - started
            time.sleep(1)

    def ledger(self, api: httpx.Client) -> dict:
        orders, seconds = self.settle(api)
        lost = [o["id"] for o in self.orders if orders.get(o["id"], {}).get("status") not in FINAL]
        doubled, unrefunded = [], []
        for order in self.orders:
            final = orders.get(order["id"], {})
            response = api.get(f"/api/payments/?order={order['id']}", headers=self.admin["headers"])
            payments = response.json()["results"] if response.status_code == 200 else []
            if len(payments) > 1:
                doubled.append(f"order {order['id']}: {len(payments)} payments")
            if final.get("cancellation_reason") == "customer_request" and any(
                p["status"] == "SUCCESS" for p in payments
            ):
                unrefunded.append(order["id"])
        for product in self.products:
            kept = sum(
                o["quantity"]
                for o in self.orders
                if o["product"] == product["id"]
                and orders.get(o["id"], {}).get("status") in ("CONFIRMED", "SHIPPED")
            )
            available = api.get(f"/api/inventory/{product['id']}/").json()["available"]
            if available != STOCK - kept:
                doubled.append(f"product {product['id']}: available {available}, expected {STOCK - kept}")
        statuses = Counter(
            f"{o.get('status')}" + (f"/{o['cancellation_reason']}" if o.get("cancellation_reason") else "")
            for i, o in orders.items()
            if i in {x["id"] for x in self.orders}
        )
        return {
            "lost": lost,
            "doubled": doubled,
            "unrefunded": unrefunded,
            "statuses": dict(statuses),
            "settle_seconds": seconds,
        }


# ---- the system --------------------------------------------------------------------------


def soak_env_overrides() -> dict:
    """Point each PostgreSQL database URL at commercex_soak_<service>; SQLite lives under var/soak."""
    overrides = {}
    for service in existing_services():
        url = os.environ.get(service.database_env, "")
        if url.startswith(("postgres://", "postgresql://")):
            overrides[service.database_env] = urlunparse(
                urlparse(url)._replace(path=f"/commercex_soak_{service.name}")
            )
    return overrides


def start_system():
    """Start `up` on free ports for the soak (built on the benchmark's starter, with its own var folder)."""
    from bench import system as bench_system

    class SoakSystem(bench_system.BenchSystem):
        def __init__(self) -> None:
            super().__init__()
            self.var = VAR / "soak" / "system"
            self.env.update(COMMERCEX_VAR_DIR=str(self.var), **soak_env_overrides())

        @property
        def log(self) -> Path:
            return VAR / "soak" / "up.log"

    running = SoakSystem()
    running.admin_email = bench_system.ADMIN_EMAIL
    running.log.parent.mkdir(parents=True, exist_ok=True)
    running.start()
    running.ensure_admin()
    return running


def login(base_url: str, email: str, password: str) -> dict:
    response = httpx.post(
        f"{base_url}/api/auth/login", json={"email": email, "password": password}, timeout=20
    )
    response.raise_for_status()
    return {"headers": {"Authorization": f"Bearer {response.json()['token']}"}}


def examples(items: list[str]) -> str:
    return f"(e.g. {'; '.join(items[:10])})" if items else ""


def run_soak(
    *,
    minutes: float,
    url: str | None,
    admin_email: str | None,
    admin_password: str | None,
    order_rate: float,
    browsers: int,
) -> int:
    import json

    running = None
    try:
        if url:
            if not (admin_email and admin_password):
                say("--url needs --admin-email and --admin-password (an admin of that system)")
                return 2
            base_url, admin = url.rstrip("/"), login(url.rstrip("/"), admin_email, admin_password)
            state_file = Path(os.environ.get("COMMERCEX_VAR_DIR") or VAR) / "run" / "state.json"
        else:
            say("starting the system (manage_all.py up on free ports, var/soak) ...")
            running = start_system()
            base_url = running.base_url
            admin = login(base_url, running.admin_email, running.admin_password)
            state_file = running.var / "run" / "state.json"

        def state() -> dict:
            try:
                return json.loads(state_file.read_text())
            except (OSError, ValueError):
                return {}

        soak = Soak(base_url, admin=admin, minutes=minutes, order_rate=order_rate, browsers=browsers)
        with httpx.Client(base_url=base_url, timeout=20) as api:
            soak.prepare(api)
            rss_start = rss_by_child(state())
            mix = f"{browsers} browsers, orders at {order_rate:g}/s (20% declined, 15% of the rest cancelled)"
            say(f"{minutes:g} min of mixed load: {mix}")
            started = time.monotonic()
            soak.run()
            elapsed = time.monotonic() - started
            result = soak.ledger(api)
            rss_end = rss_by_child(state())
        total = sum(soak.requests.values())
        errors = sum(soak.errors.values())
        say(f"requests {total} in {elapsed:.0f} s ({total / elapsed:.1f}/s): {dict(soak.requests)}")
        say(f"errors {errors}: {dict(soak.errors) or '-'}")
        settled = f"settled in {result['settle_seconds']:.1f} s"
        say(f"orders accepted {len(soak.orders)}, {settled}: {result['statuses']}")
        say(f"orders lost {len(result['lost'])} {examples(result['lost'])}")
        say(f"effects doubled {len(result['doubled'])} {examples(result['doubled'])}")
        say(f"cancelled but not refunded {len(result['unrefunded'])}")
        print_rss(rss_start, rss_end)
        bad = errors or result["lost"] or result["doubled"] or result["unrefunded"]
        say("FAILED" if bad else "ok: nothing lost, nothing doubled, no errors")
        return 1 if bad else 0
    finally:
        if running is not None:
            running.stop()
