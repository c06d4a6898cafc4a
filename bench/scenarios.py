"""The benchmark scenarios, run through the gateway of a started BenchSystem.

Set-up (`prepare`): an admin, a few customers, PRODUCTS catalogue products with plenty of
stock created through the API (so orders and inventory hear of them), and many more rows
seeded straight into the products database for cache-miss reads. Then:

- reads: product detail and list, cache hit and miss (wrk);
- placement: POST /api/orders/ as fast as wrk's connections go, one line of a different
  product each time (the saga runs meanwhile, as it would);
- saga at fixed offered rates (open loop, aiohttp): accepted, CONFIRMED, lost, and
  PENDING → CONFIRMED from the orders' recorded transitions;
- saga maximum sustained rate: offered rate stepped up until orders stop completing on time;
- the event backbone alone (bench/events_throughput.py, PostgreSQL only).
"""

import re
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench import loadgen
from bench.system import ADMIN_EMAIL, BENCH_VAR, BenchSystem, SystemFailed
from stack import ledger, load

HERE = Path(__file__).resolve().parent
PRODUCTS = 200
CUSTOMERS = 8
FINAL_GRACE_SECONDS = 180.0


@dataclass
class Plan:
    """How long each part runs: ~30 s per scenario by default, a few seconds with --quick."""

    quick: bool
    saga_rates: tuple = (50, 200)

    def __post_init__(self) -> None:
        self.read_seconds = self.placement_seconds = self.saga_seconds = 5 if self.quick else 30
        self.step_seconds = 4 if self.quick else 10
        self.seeded_products = 12_000 if self.quick else 60_000
        self.events = 3_000 if self.quick else 20_000


@dataclass
class Fixture:
    customer_tokens: list[str]
    products: list[str]
    files: dict[str, Path]


def prepare(system: BenchSystem, plan: Plan, say) -> Fixture:
    say("set-up: admin, customers, products ...")
    system.create_admin(ADMIN_EMAIL, system.admin_password)
    run = uuid.uuid4().hex[:8]
    with httpx.Client(base_url=system.gateway_url, timeout=30) as client:
        admin = load.login(client, ADMIN_EMAIL, system.admin_password)
        customers = [
            load.register(client, password=system.admin_password, prefix="bench") for _ in range(CUSTOMERS)
        ]
        tokens = [customer["token"] for customer in customers]

        def create(index: int) -> str:
            body = {"name": f"Bench {run} {index}", "price": "10.00", "stock": 1_000_000, "category": "bench"}
            return load.expect(client.post("/api/products/", json=body, headers=admin["headers"]), 201)["id"]

        with ThreadPoolExecutor(8) as pool:
            products = list(pool.map(create, range(PRODUCTS)))
        say("set-up: waiting until orders and inventory know the products (first saga round) ...")
        warm_ids = _place_until_known(client, customers[0]["headers"], products)
    answer = system.django_script("orders", HERE / "orders_probe.py", {"ids": warm_ids, "grace": 60})
    if ledger.from_counts("warm-up", answer["statuses"]).lost:
        raise SystemFailed(f"warm-up orders did not complete: {answer['statuses']}")
    say(f"set-up: seeding {plan.seeded_products} catalogue rows for cache-miss reads ...")
    read_products = system.django_script(
        "products", HERE / "products_seed.py", {"count": plan.seeded_products}
    )["ids"]
    files = {
        "tokens": _lines_file("tokens.txt", tokens),
        "products": _lines_file("products.txt", products),
        "detail_miss": _lines_file("detail-miss.txt", [f"/api/products/{pk}/" for pk in read_products]),
        # Each distinct min_price is its own cached list; every seeded row still matches.
        "list_miss": _lines_file(
            "list-miss.txt", [f"/api/products/?min_price={index / 100:.2f}" for index in range(1, 99_999)]
        ),
    }
    say("set-up: measuring what the idle system uses ...")
    system.idle_cpu_percent = system.cpu.measure_idle(3 if plan.quick else 10)
    return Fixture(tokens, products, files)


def _place_until_known(
    client: httpx.Client, headers: dict, products: list[str], timeout: float = 60
) -> list[str]:
    """Order every product once (100 lines an order), retrying while orders does not know them yet."""
    ids, deadline = [], time.monotonic() + timeout
    for start in range(0, len(products), 100):
        items = [{"product": pk, "quantity": 1} for pk in products[start : start + 100]]
        while True:
            response = client.post("/api/orders/", json={"items": items}, headers=headers)
            if response.status_code == 201:
                break
            if response.status_code != 400 or time.monotonic() > deadline:
                raise SystemFailed(
                    f"orders never accepted the new products: {response.status_code} {response.text[:300]}"
                )
            time.sleep(0.5)
        ids.append(response.json()["id"])
    return ids


def _lines_file(name: str, lines: list[str]) -> Path:
    path = BENCH_VAR / "data" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


# ---- reads -----------------------------------------------------------------------------


def _x_cache(url: str) -> str:
    return httpx.get(url, timeout=10).headers.get("X-Cache", "")


def reads(system: BenchSystem, fixture: Fixture, plan: Plan, say) -> dict:
    base = system.gateway_url
    results = {}
    hot_detail = f"{base}/api/products/{fixture.products[0]}/"
    hot_list = f"{base}/api/products/?page_size=20"
    for url in (hot_detail, hot_list):
        _x_cache(url)
        if _x_cache(url) != "HIT":
            say(f"warning: {url} is not served from the cache (X-Cache is not HIT)")
    runs = {
        "detail_hit": (hot_detail, None, None),
        "list_hit": (hot_list, None, None),
        "detail_miss": (base, "paths.lua", fixture.files["detail_miss"]),
        "list_miss": (base, "paths.lua", fixture.files["list_miss"]),
    }
    for name, (url, script, paths) in runs.items():
        say(f"scenario: reads {name} ({plan.read_seconds:.0f} s) ...")
        result = loadgen.run_wrk(
            url,
            seconds=plan.read_seconds,
            script=script,
            env={"BENCH_PATHS": str(paths)} if paths else None,
            save_as=BENCH_VAR / "wrk" / f"{name}.txt",
        )
        figures = result.as_dict()
        if paths is not None:
            distinct = sum(1 for _ in paths.open())
            figures["distinct_paths"] = distinct
            figures["all_misses"] = result.requests <= distinct
        results[name] = figures
    return results


# ---- orders ----------------------------------------------------------------------------


def drain(system: BenchSystem, grace: float) -> dict:
    """Wait until no order placed since the system started is PENDING or PAID; return how many still are."""
    payload = {"ids": None, "grace": grace, "since": system.started_at}
    return system.django_script("orders", HERE / "orders_probe.py", payload)


def placement(system: BenchSystem, fixture: Fixture, plan: Plan, say) -> dict:
    say(f"scenario: order placement ({plan.placement_seconds:.0f} s) ...")
    started = system.cpu.start()
    result = loadgen.run_wrk(
        system.gateway_url,
        seconds=plan.placement_seconds,
        script="orders.lua",
        env={"BENCH_PRODUCTS": str(fixture.files["products"]), "BENCH_TOKENS": str(fixture.files["tokens"])},
        save_as=BENCH_VAR / "wrk" / "placement.txt",
    )
    say("scenario: order placement: waiting for the saga to finish the orders ...")
    drained = drain(system, FINAL_GRACE_SECONDS)
    accepted = result.requests - result.failed
    return {
        "cpu_ms_per_order": system.cpu.per_unit(started, accepted),
        **result.as_dict(),
        "accepted": accepted,
        "drain_s": drained["waited_s"],
        "open_after_drain": drained["open"],
        # Orders the saga finished per second, counting from the start of placement.
        "saga_catch_up_rate": round(accepted / (plan.placement_seconds + drained["waited_s"]), 1),
    }


def saga_at(system: BenchSystem, fixture: Fixture, *, rate: float, seconds: float, grace: float) -> dict:
    """Offer `rate` orders/s for `seconds`; wait up to `grace` s for each to end; report."""
    started = system.cpu.start()
    flow = {"products": fixture.products, "tokens": fixture.customer_tokens}
    load = loadgen.offer_orders(system.gateway_url, rate=rate, seconds=seconds, **flow)
    sent_until = time.time()
    outcome = system.django_script(
        "orders", HERE / "orders_probe.py", {"ids": load.accepted_ids, "grace": grace}
    )
    lag = outcome["last_final_at"] - sent_until if outcome["last_final_at"] else None
    book = ledger.from_counts(f"saga at {rate:g}/s", outcome["statuses"])
    return {
        "cpu_ms_per_order": system.cpu.per_unit(started, len(load.accepted_ids)),
        "offered_rate": rate,
        "seconds": seconds,
        "sent": load.sent,
        "achieved_rate": round(load.achieved_rate, 1),
        "behind": load.behind,
        "gave_up": load.gave_up,
        "accepted": len(load.accepted_ids),
        "rejected": load.failures,
        "confirmed": outcome["confirmed"],
        "statuses": outcome["statuses"],
        "final": book.final,
        "lost": book.lost,
        "post_p50_ms": _round(loadgen.percentile(load.latencies_ms, 0.50)),
        "post_p99_ms": _round(loadgen.percentile(load.latencies_ms, 0.99)),
        "pending_to_confirmed_p50_ms": _round(outcome["pending_to_confirmed_p50_ms"]),
        "pending_to_confirmed_p99_ms": _round(outcome["pending_to_confirmed_p99_ms"]),
        "pending_to_confirmed_max_ms": _round(outcome["pending_to_confirmed_max_ms"]),
        "completion_lag_s": _round(lag),
    }


def _round(value, digits: int = 1):
    return None if value is None else round(value, digits)


def saga_fixed_rates(system: BenchSystem, fixture: Fixture, plan: Plan, say) -> dict:
    results = {}
    for rate in plan.saga_rates:
        say(f"scenario: saga at {rate} orders/s ({plan.saga_seconds:.0f} s) ...")
        results[str(rate)] = saga_at(
            system, fixture, rate=rate, seconds=plan.saga_seconds, grace=FINAL_GRACE_SECONDS
        )
    return results


# A step passes when every order was accepted on time and all of them ended within this
# long after the last one was sent (the backlog did not grow).
STEP_GRACE_SECONDS = 3.0
SAGA_RATE_STEPS = (10, 20, 30, 50, 80, 120, 180, 270, 400, 600, 900, 1350)


def saga_max_rate(system: BenchSystem, fixture: Fixture, plan: Plan, say) -> dict:
    steps, best = [], None
    for rate in SAGA_RATE_STEPS:
        say(f"scenario: saga max rate, step {rate:.0f} orders/s ({plan.step_seconds:.0f} s) ...")
        step = saga_at(system, fixture, rate=rate, seconds=plan.step_seconds, grace=STEP_GRACE_SECONDS)
        step["passed"] = (
            not step["rejected"]
            and not step["gave_up"]
            and step["behind"] == 0
            and step["achieved_rate"] >= 0.95 * rate
            and step["lost"] == 0
            and (step["completion_lag_s"] or 0) <= STEP_GRACE_SECONDS
        )
        steps.append(step)
        if step["lost"]:  # let the backlog finish before the next step
            drain(system, FINAL_GRACE_SECONDS)
        if not step["passed"]:
            break
        best = rate
    return {"max_sustained_rate": best, "step_seconds": plan.step_seconds, "steps": steps}


# ---- the event backbone ------------------------------------------------------------------

_EVENTS_FIGURES = {
    "events_per_s": r"commit -> handled:\s+([\d.]+) events/s",
    "recorded_per_s": r"recorded \(publish\):\s+([\d.]+) events/s",
    "latency_p50_ms": r"latency median:\s+([\d.]+) ms",
    "latency_p95_ms": r"latency p95 / max:\s+([\d.]+) ms",
}


def event_backbone(system: BenchSystem, plan: Plan, postgres_url: str | None, say) -> dict:
    """Run bench/events_throughput.py against the system's broker; its own PostgreSQL database."""
    script = HERE / "events_throughput.py"
    if not script.exists() or postgres_url is None:
        return {"skipped": "needs PostgreSQL (<SERVICE>_DATABASE_URL) and bench/events_throughput.py"}
    say(f"scenario: event backbone alone ({plan.events} events) ...")
    per_tx = 10
    result = subprocess.run(
        [sys.executable, str(script), "--events", str(plan.events), "--per-tx", str(per_tx)],
        # It creates (and drops) its own database on this server.
        env={**system.env, "BENCH_POSTGRES_URL": postgres_url.rsplit("/", 1)[0]},
        capture_output=True,
        text=True,
        timeout=600,
    )
    figures: dict = {"events": plan.events, "per_transaction": per_tx}
    for name, pattern in _EVENTS_FIGURES.items():
        match = re.search(pattern, result.stdout)
        figures[name] = float(match.group(1)) if match else None
    if figures["events_per_s"] is None:
        figures["failed"] = " ".join((result.stdout + result.stderr).split())[-300:]
    return figures
