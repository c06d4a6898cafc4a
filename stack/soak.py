"""`manage_all.py soak --minutes N`: mixed load for a while, then the ledger and every process's RSS.

It starts the whole system (stack.harness on free ports, var/soak, databases
commercex_soak_<service> when <SERVICE>_DATABASE_URL points at PostgreSQL), or uses a
running one given with --url. Browsers read the catalogue (most of the traffic); buyers
place orders (stack.load), a fifth of them with a declined card, and cancel some. At the
end it settles every accepted order and prints the ledger (stack.ledger: accepted, final,
lost, doubled effects), requests and errors, and the resident memory of every process at
the start and the end. Exit code 1 when any error, lost order or doubled effect was seen.
"""

import random
import secrets
import threading
import time
import uuid
from collections import Counter

import httpx

from stack import ledger, load, procs
from stack.harness import System, read_state
from stack.registry import VAR

STOCK = 1_000_000
PASSWORD = "Soak-pass-" + secrets.token_hex(6)
ADMIN_EMAIL = "soak-admin@example.com"


def say(message: str) -> None:
    print(f"[soak] {message}", flush=True)


def rss_by_child(state: dict) -> dict[str, int]:
    """Resident memory (bytes) of each child of `up`, summed over its process group (gunicorn workers)."""
    groups = procs.groups()
    children = sorted(state.get("children", {}).items())
    return {
        name: int(procs.group_total(groups.get(child["pid"], []), lambda p: p.memory_info().rss))
        for name, child in children
        if child.get("pid")
    }


def print_rss(start: dict[str, int], end: dict[str, int]) -> None:
    mb = 1024 * 1024
    say(f"{'process':<24} {'RSS start':>10} {'RSS end':>10} {'change':>8}")
    for name in sorted(set(start) | set(end)):
        before, after = start.get(name, 0), end.get(name, 0)
        change = f"{(after - before) / before * 100:+.0f}%" if before else "n/a"
        say(f"{name:<24} {before / mb:>8.1f}MB {after / mb:>8.1f}MB {change:>8}")
    say(f"{'total':<24} {sum(start.values()) / mb:>8.1f}MB {sum(end.values()) / mb:>8.1f}MB")


def make_shop(api: httpx.Client, admin: dict) -> tuple[list[dict], list[dict]]:
    """Eight products with ample stock (known to inventory) and ten customers."""
    products = [
        load.make_product(
            api, admin, stock=STOCK, price=f"{5 + n}.50", category=["books", "tools", "games"][n % 3],
            name=f"Soak product {n} {uuid.uuid4().hex[:6]}", description="soak " * 20, timeout=30,
        )
        for n in range(8)
    ]  # fmt: skip
    customers = [load.register(api, password=PASSWORD, prefix="soak", name="Soak") for _ in range(10)]
    return products, customers


class Browsers:
    """Threads that read the catalogue (list, search, one product, its stock); every non-2xx counts."""

    def __init__(self, base_url: str, products: list[dict], count: int) -> None:
        self.base_url, self.products = base_url, products
        self.requests, self.errors = Counter(), Counter()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.browse, daemon=True) for _ in range(count)]

    def browse(self) -> None:
        rng = random.Random()  # nosec B311
        with httpx.Client(base_url=self.base_url, timeout=20) as api:
            while not self.stop.is_set():
                product = rng.choice(self.products)["id"]
                kind, url = rng.choice(
                    [
                        ("browse list", f"/api/products/?page={rng.randint(1, 3)}&page_size=20"),
                        ("browse search", "/api/products/?search=soak&ordering=price"),
                        ("browse product", f"/api/products/{product}/"),
                        ("browse stock", f"/api/inventory/{product}/"),
                    ]
                )
                self.requests[kind] += 1
                try:
                    status = api.get(url).status_code
                    if status not in (200, 404):
                        self.errors[f"{kind}: {status}"] += 1
                except httpx.HTTPError as error:
                    self.errors[f"{kind}: {type(error).__name__}"] += 1
                self.stop.wait(rng.uniform(0.02, 0.08))

    def __enter__(self) -> "Browsers":
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(30)


def soak(base_url: str, admin: dict, *, minutes: float, order_rate: float, browsers: int, state) -> int:
    with httpx.Client(base_url=base_url, timeout=20) as api:
        products, customers = make_shop(api, admin)
        rss_start = rss_by_child(state())
        say(
            f"{minutes:g} min: {browsers} browsers, orders at {order_rate:g}/s (20% declined, some cancelled)"
        )
        started = time.monotonic()
        orders = load.OrderLoad(base_url, customers, products, rate=order_rate, cancel_every=7)
        with Browsers(base_url, products, browsers) as readers, orders:
            deadline, next_login = started + minutes * 60, started + 600
            while time.monotonic() < deadline:
                time.sleep(min(15.0, max(0.0, deadline - time.monotonic())))
                if time.monotonic() > next_login:  # access tokens live 15 minutes
                    next_login += 600
                    for account in [*customers, admin]:
                        fresh = load.login(api, account["email"], account["password"])
                        account["headers"].update(fresh["headers"])
                say(f"{sum(readers.requests.values())} reads, {len(orders.accepted)} orders so far")
        elapsed = time.monotonic() - started
        result = ledger.audit("soak", api, admin, orders, products, STOCK, timeout=120)
        rss_end = rss_by_child(state())
    requests = readers.requests + orders.requests
    errors = readers.errors + orders.refused
    rate = requests.total() / elapsed
    say(f"requests {requests.total()} in {elapsed:.0f} s ({rate:.1f}/s): {dict(requests)}")
    say(f"errors {errors.total()}: {dict(errors) or '-'}")
    result.print("[soak]")
    print_rss(rss_start, rss_end)
    bad = errors.total() or not result.ok
    say("FAILED" if bad else "ok: nothing lost, nothing doubled, no errors")
    return 1 if bad else 0


def run_soak(*, minutes, url, admin_email, admin_password, order_rate, browsers) -> int:
    options = {"minutes": minutes, "order_rate": order_rate, "browsers": browsers}
    if url:
        if not (admin_email and admin_password):
            say("--url needs --admin-email and --admin-password (an admin of that system)")
            return 2
        with httpx.Client(base_url=url.rstrip("/"), timeout=20) as api:
            admin = load.login(api, admin_email, admin_password)
        return soak(url.rstrip("/"), admin, state=read_state, **options)
    say("starting the system (manage_all.py up on free ports, var/soak) ...")
    # The soak measures the system, not its flood limits: every request comes from one IP.
    no_limits = {"RATE_LIMIT": "off", "GATEWAY_RATE_LIMIT": "off"}
    running = System(var=VAR / "soak", databases="soak", own_redis=True, env=no_limits)
    try:
        running.start(timeout=300)
        running.create_admin(ADMIN_EMAIL, PASSWORD)
        with httpx.Client(base_url=running.gateway_url, timeout=20) as api:
            admin = load.login(api, ADMIN_EMAIL, PASSWORD)
        return soak(running.gateway_url, admin, state=running.state, **options)
    finally:
        leftovers = running.stop()
        if leftovers:
            say(f"left running: {leftovers}")
