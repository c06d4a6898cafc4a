"""Wait for orders to reach a final state and report their saga timings (run inside the orders service).

Started by the benchmark with the orders service's settings and database (see
BenchSystem.django_script). Reads JSON on stdin:
  {"ids": [...order ids...], "grace": seconds}  → waits until every order is CONFIRMED,
      CANCELLED or SHIPPED, or `grace` passed; returns counts per status (stack.ledger
      makes the ledger of them), PENDING → CONFIRMED latencies and the time of the last
      final transition;
  {"ids": null, "grace": seconds, "since": epoch seconds}  → waits until no order created
      since then is PENDING or PAID; returns how many still are (`open`).
Prints one JSON line.
"""

import json
import sys
import time
from collections import Counter
from datetime import UTC, datetime

import django

django.setup()

from bench.loadgen import percentile  # noqa: E402
from orders.models import Order, OrderTransition  # noqa: E402
from stack.ledger import FINAL_STATUSES as FINAL  # noqa: E402 (PYTHONPATH: the service and the repo)

Status = Order.Status
OPEN = (Status.PENDING, Status.PAID)
CHUNK = 500


def _chunks(ids: list[str]):
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _statuses(ids: list[str]) -> dict[str, str]:
    found = {}
    for chunk in _chunks(ids):
        found.update(
            (str(pk), status) for pk, status in Order.objects.filter(id__in=chunk).values_list("id", "status")
        )
    return found


def wait_for_ids(ids: list[str], grace: float) -> dict:
    deadline = time.monotonic() + grace
    pending = list(ids)
    while pending and time.monotonic() < deadline:
        statuses = _statuses(pending)
        pending = [pk for pk in pending if statuses.get(pk) not in FINAL]
        if pending:
            time.sleep(0.25)
    statuses = _statuses(ids)
    counts = Counter(statuses.get(pk, "MISSING") for pk in ids)
    pending_at, confirmed_at, last_final = {}, {}, None
    for chunk in _chunks(ids):
        rows = OrderTransition.objects.filter(order_id__in=chunk).values_list("order_id", "to_status", "at")
        for order_id, to_status, at in rows:
            if to_status == Status.PENDING:
                pending_at[order_id] = at
            elif to_status == Status.CONFIRMED:
                confirmed_at[order_id] = at
            if to_status in FINAL:
                last_final = at if last_final is None else max(last_final, at)
    latencies = [
        (confirmed_at[pk] - pending_at[pk]).total_seconds() * 1000 for pk in confirmed_at if pk in pending_at
    ]
    return {
        "orders": len(ids),
        "statuses": dict(counts),
        "confirmed": counts.get(Status.CONFIRMED, 0),
        "pending_to_confirmed_p50_ms": percentile(latencies, 0.50),
        "pending_to_confirmed_p99_ms": percentile(latencies, 0.99),
        "pending_to_confirmed_max_ms": max(latencies) if latencies else None,
        "last_final_at": last_final.timestamp() if last_final else None,
    }


def wait_for_drain(grace: float, since: float) -> dict:
    deadline = time.monotonic() + grace
    started = time.monotonic()
    orders = Order.objects.filter(status__in=OPEN, created_at__gte=datetime.fromtimestamp(since, tz=UTC))
    open_orders = orders.count()
    while open_orders and time.monotonic() < deadline:
        time.sleep(0.25)
        open_orders = orders.count()
    return {"open": open_orders, "waited_s": round(time.monotonic() - started, 2)}


def main() -> int:
    request = json.loads(sys.stdin.read())
    if request.get("ids") is None:
        answer = wait_for_drain(float(request["grace"]), float(request["since"]))
    else:
        answer = wait_for_ids([str(pk) for pk in request["ids"]], float(request["grace"]))
    print(json.dumps(answer))
    return 0


if __name__ == "__main__":
    sys.exit(main())
