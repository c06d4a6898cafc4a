"""The one ledger of a load: orders accepted, final, lost (never final) and effects doubled.

The drills, the soak and the benchmark print it. `audit` builds it through the gateway
(an order's status, its payments, the stock left); `from_counts` from statuses counted
elsewhere (the benchmark reads them in the orders database).
"""

import time
from collections import Counter
from dataclasses import dataclass, field

import httpx

from stack.load import Placed

# The statuses an order ends in: nothing changes it afterwards (docs/EVENTS.md, the saga).
FINAL_STATUSES = frozenset({"CONFIRMED", "SHIPPED", "CANCELLED"})


@dataclass
class Ledger:
    name: str
    accepted: int
    final: int
    doubled: int = 0
    seconds: float = 0.0
    statuses: dict = field(default_factory=dict)
    refused: dict = field(default_factory=dict)
    details: list[str] = field(default_factory=list)

    @property
    def lost(self) -> int:
        return self.accepted - self.final

    @property
    def ok(self) -> bool:
        return self.lost == 0 and self.doubled == 0

    def lines(self) -> list[str]:
        head = (
            f"{self.name}: orders accepted {self.accepted}, final {self.final}, lost {self.lost}, "
            f"doubled effects {self.doubled}, settled in {self.seconds:.1f} s, refused {self.refused or {}}"
        )
        return [head, f"  final statuses {self.statuses}", *(f"  {line}" for line in self.details[:20])]

    def print(self, prefix: str) -> None:
        for line in self.lines():
            print(f"{prefix} {line}", flush=True)


def from_counts(name: str, statuses: dict[str, int], *, seconds: float = 0.0) -> Ledger:
    final = sum(count for status, count in statuses.items() if status in FINAL_STATUSES)
    return Ledger(name, sum(statuses.values()), final, seconds=seconds, statuses=dict(statuses))


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


def settle(api: httpx.Client, placed: list[Placed], *, timeout: float) -> tuple[float, dict[str, dict]]:
    """Wait (up to `timeout`) until every placed order is final; return the seconds waited and the orders."""
    customers = list({id(p.customer): p.customer for p in placed}.values())
    wanted = {p.order_id for p in placed}
    started = time.monotonic()
    while True:
        orders = order_statuses(api, customers)
        if all(orders.get(o, {}).get("status") in FINAL_STATUSES for o in wanted):
            break
        if time.monotonic() - started > timeout:
            break
        time.sleep(1.0)
    return time.monotonic() - started, {o: orders[o] for o in wanted if o in orders}


def _status(order: dict) -> str:
    reason = order.get("cancellation_reason")
    return order.get("status", "MISSING") + (f"/{reason}" if reason else "")


def _payment_problems(api: httpx.Client, admin: dict, placed: list[Placed], orders: dict) -> list[str]:
    """Orders with more than one payment, or cancelled by their customer and still charged."""
    problems = []
    for p in placed:
        response = api.get(f"/api/payments/?order={p.order_id}", headers=admin["headers"])
        payments = response.json()["results"] if response.status_code == 200 else []
        if len(payments) > 1:
            problems.append(f"order {p.order_id} has {len(payments)} payments: {payments}")
        cancelled_by_customer = orders.get(p.order_id, {}).get("cancellation_reason") == "customer_request"
        if cancelled_by_customer and any(payment["status"] == "SUCCESS" for payment in payments):
            problems.append(f"order {p.order_id} was cancelled but its payment was not refunded")
    return problems


def _stock_problems(api: httpx.Client, placed: list[Placed], orders: dict, products: list[dict], stock: int):
    problems = []
    for product in products:
        kept = sum(
            p.quantity
            for p in placed
            if p.product == product["id"] and orders.get(p.order_id, {}).get("status") != "CANCELLED"
        )
        available = api.get(f"/api/inventory/{product['id']}/").json()["available"]
        if available != stock - kept:
            problems.append(f"product {product['id']}: available {available}, expected {stock} - {kept}")
    return problems


def audit(
    name: str, api: httpx.Client, admin: dict, load, products: list[dict], stock: int, *, timeout: float = 90
) -> Ledger:
    """Settle the orders `load` accepted, then check one payment each and the stock left exactly."""
    placed = list(load.accepted)
    seconds, orders = settle(api, placed, timeout=timeout)
    doubled = _payment_problems(api, admin, placed, orders) + _stock_problems(
        api, placed, orders, products, stock
    )
    final = sum(1 for order in orders.values() if order["status"] in FINAL_STATUSES)
    lost = [o for o in (p.order_id for p in placed) if orders.get(o, {}).get("status") not in FINAL_STATUSES]
    details = doubled + [f"never final: order {o} ({_status(orders.get(o, {}))})" for o in lost]
    statuses = dict(Counter(_status(order) for order in orders.values()))
    return Ledger(name, len(placed), final, len(doubled), seconds, statuses, dict(load.refused), details)
