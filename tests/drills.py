"""Shared parts of the reliability drills: accounts, order load, the ledger check, database faults.

A drill places orders through the gateway (stack.load.OrderLoad) while it breaks
something, then checks the ledger (stack.ledger.audit): every order accepted with 201
reached a final status, one payment per order, stock reduced exactly by the confirmed
quantities, and here also no outbox row left unsent. Each drill talks from its own
loopback address (127.0.0.x) so that the per-IP rate limits it spends are its own.
"""

import contextlib
import sqlite3
import threading
import uuid
from urllib.parse import urlparse

import httpx
from system import existing_services, wait_until

from stack import ledger, load, procs
from stack import system as stack_system
from stack.ledger import order_statuses

__all__ = ["order_statuses", "wait_until"]
PASSWORD = "Drill-pass-7310-x"


def client(system, *, source: str = "127.0.0.1", timeout: float = 15) -> httpx.Client:
    return load.client(system.gateway_url, source=source, timeout=timeout)


bearer = load.bearer


def register(api: httpx.Client, prefix: str = "drill") -> dict:
    return load.register(api, password=PASSWORD, prefix=prefix, name="Drill")


def login_again(api: httpx.Client, account: dict) -> dict:
    """A fresh token for `account` (the session's admin): a drill module may start >15 min in."""
    fresh = load.login(api, account["email"], account["password"])
    assert fresh["role"] == "admin"
    return {**account, **fresh}


def make_product(api: httpx.Client, admin: dict, *, stock: int, price: str = "5.00") -> dict:
    return load.make_product(
        api, admin, stock=stock, price=price, name=f"Drill product {uuid.uuid4().hex[:8]}"
    )


def order_load(system, customers: list[dict], products: list[dict], **options) -> load.OrderLoad:
    return load.OrderLoad(system.gateway_url, customers, products, **options)


def quiesce(api: httpx.Client, orders: load.OrderLoad, *, timeout: float = 30) -> float:
    """Pause the load and wait until every order placed so far is final; return the seconds waited.

    A memory-only broker loses events it acknowledged but nobody had read yet: the drills
    that lose the broker break it between sagas, not in the middle of one (docs/SECURITY.md,
    "Known limits").
    """
    orders.pause()
    seconds, settled = ledger.settle(api, list(orders.accepted), timeout=timeout)
    open_orders = {o: s["status"] for o, s in settled.items() if s["status"] not in ledger.FINAL_STATUSES}
    assert len(settled) == len(orders.accepted) and not open_orders, f"never final: {open_orders}"
    return seconds


def unsent_outbox_rows(system) -> dict[str, int]:
    """Outbox rows not yet acknowledged by the broker, per service database."""
    counts = {}
    query = "SELECT count(*) FROM events_outboxevent WHERE sent_at IS NULL"
    for service in existing_services():
        url = system.env.get(f"{service.upper()}_DATABASE_URL", "")
        if stack_system.is_postgres(url):
            import psycopg

            with psycopg.connect(url, connect_timeout=5) as connection:
                counts[service] = connection.execute(query).fetchone()[0]
        else:
            with sqlite3.connect(system.var / "db" / f"{service}.sqlite3", timeout=10) as connection:
                counts[service] = connection.execute(query).fetchone()[0]
    return counts


def audit(name, system, api, admin, orders: load.OrderLoad, products, stock, *, timeout: float = 90):
    """The ledger (stack.ledger.audit), plus: every outbox is empty afterwards; printed."""
    result = ledger.audit(name, api, admin, orders, products, stock, timeout=timeout)
    unsent = {}

    def outboxes_empty() -> bool:
        unsent.update(unsent_outbox_rows(system))
        return not any(unsent.values())

    wait_until(outboxes_empty, timeout=30, interval=0.5, message="every outbox to be empty")
    result.details.insert(0, f"unsent outbox rows {unsent}")
    result.print("\n[drill]")
    return result


def resume_once_the_gateway_is_down(system, orders: load.OrderLoad) -> threading.Thread:
    """Resume the load as soon as the gateway refuses connections (it is the first part `up` stops)."""

    def watch():
        port = urlparse(system.gateway_url).port
        with contextlib.suppress(AssertionError):
            wait_until(lambda: not procs.port_open("127.0.0.1", port, timeout=1), timeout=60)
        orders.resume()

    watcher = threading.Thread(target=watch, name="drill-gateway-watch", daemon=True)
    watcher.start()
    return watcher


def uses_postgres(system) -> bool:
    urls = [system.env.get(f"{service.upper()}_DATABASE_URL", "") for service in existing_services()]
    return all(stack_system.is_postgres(url) for url in urls)


@contextlib.contextmanager
def connections_refused(system, service: str):
    """Make PostgreSQL refuse new connections to `service`'s database and end the open ones, for the block."""
    from psycopg import sql

    with stack_system.maintenance(system.env[f"{service.upper()}_DATABASE_URL"]) as (admin, database):
        assert database.startswith("commercex_e2e_"), database  # only the test system's databases
        allow = "ALTER DATABASE {} ALLOW_CONNECTIONS {}"
        admin.execute(sql.SQL(allow).format(sql.Identifier(database), sql.SQL("false")))
        try:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                [database],
            )
            yield
        finally:
            admin.execute(sql.SQL(allow).format(sql.Identifier(database), sql.SQL("true")))


def unverified_role(token: str) -> str | None:
    """The `role` claim of a JWT, read without checking the signature."""
    import jwt

    return jwt.decode(token, options={"verify_signature": False}).get("role")
