"""Print requests/s of product detail reads: served from the Redis cache, and cache misses.

Starts the products service under gunicorn (as `manage_all.py up` does) on a free port,
against a fresh SQLite file (or --database-url), seeds products, then drives it directly
(no gateway) with keep-alive HTTP clients in several processes:

- cached:   GET one product again and again (every response `X-Cache: HIT`);
- uncached: GET each of many products once (every response `X-Cache: MISS`: a lock,
            a database read and a cache fill per request).

Usage: .venv/bin/python bench/products_read.py [--seconds 5] [--products 6000]
It uses REDIS_URL (default redis://127.0.0.1:6379/0) under its own key prefix, removed at
the end. It prints figures only; there are no thresholds.
"""

import argparse
import http.client
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from stack import procs  # noqa: E402
from stack.registry import service_named  # noqa: E402

SEED = """
import json, os
from decimal import Decimal
from products.models import Product
count = int(os.environ["BENCH_PRODUCTS"])
Product.objects.bulk_create(
    (Product(name=f"Bench product {i}", description="seeded for bench/products_read.py",
             price=Decimal("19.99"), category=f"cat{i % 10}", stock=10) for i in range(count)),
    batch_size=1000,
)
print(json.dumps([str(pk) for pk in Product.objects.values_list("pk", flat=True)]))
"""


def _drive(args) -> tuple[int, int, dict]:
    """Run one client process: `threads` keep-alive connections GETting `paths`."""
    port, paths, threads, seconds, repeat = args
    lock = threading.Lock()
    done, errors, caches = [0], [0], {}
    slices = [paths[index::threads] for index in range(threads)]
    deadline = time.monotonic() + seconds

    def work(own: list[str]) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        position = 0
        count = fails = 0
        seen: dict = {}
        while time.monotonic() < deadline and (repeat or position < len(own)):
            path = own[position % len(own)]
            position += 1
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            if response.status == 200:
                count += 1
                seen[response.getheader("X-Cache")] = seen.get(response.getheader("X-Cache"), 0) + 1
            else:
                fails += 1
        connection.close()
        with lock:
            done[0] += count
            errors[0] += fails
            for key, value in seen.items():
                caches[key] = caches.get(key, 0) + value

    workers = [threading.Thread(target=work, args=(own,)) for own in slices if own]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return done[0], errors[0], caches


def measure(port: int, paths: list[str], *, seconds: float, repeat: bool, clients: int, threads: int):
    chunks = [paths[index::clients] for index in range(clients)]
    started = time.monotonic()
    with multiprocessing.Pool(clients) as pool:
        results = pool.map(_drive, [(port, chunk, threads, seconds, repeat) for chunk in chunks])
    elapsed = time.monotonic() - started
    ok = sum(result[0] for result in results)
    errors = sum(result[1] for result in results)
    caches: dict = {}
    for _, _, seen in results:
        for key, value in seen.items():
            caches[key] = caches.get(key, 0) + value
    return ok / elapsed, ok, errors, caches


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each run")
    parser.add_argument("--products", type=int, default=6000, help="products seeded for the miss run")
    parser.add_argument("--database-url", default="", help="default: a fresh SQLite file")
    parser.add_argument("--workers", default="2", help="gunicorn workers (gthread)")
    parser.add_argument("--threads", default="4", help="gunicorn threads per worker")
    parser.add_argument("--clients", type=int, default=2, help="client processes")
    parser.add_argument("--client-threads", type=int, default=4, help="connections per client process")
    args = parser.parse_args()

    service = service_named("products")
    scratch = Path(tempfile.mkdtemp(prefix="products-bench-"))
    prefix = f"products-bench-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": service.settings_module,
        "PRODUCTS_DATABASE_URL": args.database_url or f"sqlite:///{scratch / 'products.sqlite3'}",
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "CACHE_KEY_PREFIX": prefix,
        "RATE_LIMIT": "off",
        "PRODUCTS_CACHE_TTL": "600",
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], cwd=service.directory, env=env, check=True)
    seeded = subprocess.run(
        [*manage, "shell", "-c", SEED],
        cwd=service.directory,
        env={**env, "BENCH_PRODUCTS": str(args.products)},
        check=True,
        capture_output=True,
        text=True,
    )
    ids = json.loads(seeded.stdout.strip().splitlines()[-1])
    port = procs.free_port()
    command = [
        sys.executable, "-m", "gunicorn", f"{service.name}.wsgi:application",
        "--worker-class", "gthread", "--workers", args.workers, "--threads", args.threads,
        "--bind", f"127.0.0.1:{port}", "--keep-alive", "75", "--preload",
    ]  # fmt: skip
    server = procs.start(
        command,
        log=scratch / "gunicorn.log",
        env=env,
        cwd=service.directory,
    )
    try:
        if not procs.wait_for_port("127.0.0.1", port, timeout=30):
            print(f"gunicorn did not start; see {scratch / 'gunicorn.log'}", file=sys.stderr)
            return 1
        hot = f"/api/products/{ids[0]}/"
        measure(port, [hot], seconds=0.5, repeat=True, clients=1, threads=1)  # warm: MISS then HITs
        runs = {
            "cached detail (X-Cache: HIT)": measure(
                port,
                [hot],
                seconds=args.seconds,
                repeat=True,
                clients=args.clients,
                threads=args.client_threads,
            ),
            "uncached detail (X-Cache: MISS)": measure(
                port,
                [f"/api/products/{pk}/" for pk in ids[1:]],
                seconds=args.seconds,
                repeat=False,
                clients=args.clients,
                threads=args.client_threads,
            ),
        }
        print(
            f"products service, gunicorn gthread -w {args.workers} --threads {args.threads}, "
            f"{'SQLite' if not args.database_url else 'database ' + args.database_url.split('@')[-1]}, "
            f"{args.clients}x{args.client_threads} keep-alive clients on the same machine"
        )
        for name, (rate, ok, errors, caches) in runs.items():
            print(f"{name:<34} {rate:8.0f} req/s  ({ok} ok, {errors} errors, X-Cache {caches})")
    finally:
        procs.stop(server)
        _drop_keys(env["REDIS_URL"], prefix)
    shutil.rmtree(scratch, ignore_errors=True)
    return 0


def _drop_keys(redis_url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    for start in range(0, len(keys), 500):
        client.delete(*keys[start : start + 500])


if __name__ == "__main__":
    sys.exit(main())
