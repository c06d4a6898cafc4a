"""Print requests/s of product detail reads: served from the Redis cache, and cache misses.

Starts the products service alone under gunicorn (gthread, as `manage_all.py up` runs it)
on a free port, against a fresh SQLite file (or --database-url), seeds products, then
drives it directly, without the gateway, with wrk (bench/loadgen.py):

- cached:   GET one product again and again (every response `X-Cache: HIT`);
- uncached: GET each seeded product once (`X-Cache: MISS`: a lock, a database read and
            a cache fill per request).

Usage: .venv/bin/python bench/products_read.py [--seconds 5] [--products 20000]
Cache keys go to Redis database BENCH_REDIS_DB (11) under their own prefix, removed at
the end. It prints figures only; there are no thresholds.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.loadgen import run_wrk, wrk_binary  # noqa: E402
from bench.system import _bench_redis_url  # noqa: E402
from stack import procs  # noqa: E402
from stack.registry import service_named  # noqa: E402

SEED = """
import json, os
from decimal import Decimal
from products.models import Product
Product.objects.bulk_create(
    (Product(name=f"Bench product {i}", description="seeded for bench/products_read.py",
             price=Decimal("19.99"), category=f"cat{i % 10}", stock=10)
     for i in range(int(os.environ["BENCH_PRODUCTS"]))),
    batch_size=2000,
)
print(json.dumps([str(pk) for pk in Product.objects.values_list("pk", flat=True)]))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each run")
    parser.add_argument("--products", type=int, default=20000, help="products seeded for the miss run")
    parser.add_argument("--database-url", default="", help="default: a fresh SQLite file")
    parser.add_argument("--workers", default="2", help="gunicorn workers (gthread)")
    parser.add_argument("--threads", default="4", help="gunicorn threads per worker")
    args = parser.parse_args()
    if wrk_binary() is None:
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2

    service = service_named("products")
    scratch = Path(tempfile.mkdtemp(prefix="products-bench-"))
    prefix = f"products-bench-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": service.settings_module,
        "PRODUCTS_DATABASE_URL": args.database_url or f"sqlite:///{scratch / 'products.sqlite3'}",
        "REDIS_URL": _bench_redis_url(),
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
    server = procs.start(command, log=scratch / "gunicorn.log", env=env, cwd=service.directory)
    base = f"http://127.0.0.1:{port}"
    try:
        if not procs.wait_for_port("127.0.0.1", port, timeout=30):
            print(f"gunicorn did not start; see {scratch / 'gunicorn.log'}", file=sys.stderr)
            return 1
        hot = f"{base}/api/products/{ids[0]}/"
        for _ in range(2):  # the first read fills the cache
            with urllib.request.urlopen(hot, timeout=10) as response:  # noqa: S310 - our own http URL
                warm = response.headers["X-Cache"]
        cached = run_wrk(hot, seconds=args.seconds)
        paths = scratch / "paths.txt"
        paths.write_text("".join(f"/api/products/{pk}/\n" for pk in ids[1:]))
        uncached = run_wrk(base, seconds=args.seconds, script="paths.lua", env={"BENCH_PATHS": str(paths)})
    finally:
        procs.stop(server)
        _drop_keys(env["REDIS_URL"], prefix)
    database = "SQLite" if not args.database_url else f"database {args.database_url.split('@')[-1]}"
    print(
        f"products service alone: gunicorn gthread -w {args.workers} --threads {args.threads}, {database}, "
        f"wrk on the same machine"
    )
    for name, result in (
        ("cached detail (X-Cache: HIT)", cached),
        ("uncached detail (X-Cache: MISS)", uncached),
    ):
        print(
            f"{name:<32} {result.rps:8.0f} req/s  p50 {_ms(result.p50_ms)}  p99 {_ms(result.p99_ms)}  "
            f"({result.requests} requests, {result.failed} failed)"
        )
    if warm != "HIT":
        print(f"warning: the hot product answered X-Cache: {warm} after warming")
    if uncached.requests > len(ids) - 1:
        print(f"warning: {uncached.requests} requests for {len(ids) - 1} products: some misses were hits")
    shutil.rmtree(scratch, ignore_errors=True)
    return 0


def _ms(value: float | None) -> str:
    return "    n/a" if value is None else f"{value:6.1f} ms"


def _drop_keys(redis_url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    for start in range(0, len(keys), 500):
        client.delete(*keys[start : start + 500])


if __name__ == "__main__":
    sys.exit(main())
