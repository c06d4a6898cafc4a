"""The benchmark's system: stack.harness.System with RATE_LIMIT=off, its own var folder and a CPU meter.

It runs from var/bench/system (SQLite files, logs) on free ports (so it never meets a
running `up` on 8000 and 3001-3006), with Redis database BENCH_REDIS_DB (11) for its cache
keys, and the PostgreSQL databases named by <SERVICE>_DATABASE_URL when they are set.
"""

import os
import secrets
import sys
from urllib.parse import urlparse, urlunparse

import httpx

from bench import cpu
from stack.harness import System, SystemFailed
from stack.registry import VAR, existing_services

BENCH_VAR = VAR / "bench"
REDIS_DB = os.environ.get("BENCH_REDIS_DB", "11")
ADMIN_EMAIL = "bench-admin@example.com"


class BenchSystem(System):
    def __init__(self) -> None:
        redis = urlparse(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
        env = {
            "RATE_LIMIT": "off",
            "GATEWAY_RATE_LIMIT": "off",
            "REDIS_URL": urlunparse(redis._replace(path=f"/{REDIS_DB}")),
        }
        super().__init__(var=BENCH_VAR / "system", env=env)
        # A throw-away admin of this run's system (reset on every run).
        self.admin_password = secrets.token_urlsafe(16)
        self.cpu = cpu.CpuMeter(self.child_pids)
        self.idle_cpu_percent: dict[str, float] = {}

    def start(self, *, fresh: bool = True, timeout: float = 300) -> None:
        super().start(fresh=fresh, timeout=timeout)
        # The scenarios run tools against the broker and Redis `up` found or started.
        self.env.update(KAFKA_BOOTSTRAP_SERVERS=self.kafka_bootstrap_servers, REDIS_URL=self.redis_url)

    def child_pids(self) -> dict[str, int]:
        return {name: child["pid"] for name, child in self.children().items() if child.get("pid")}

    def check_alive(self) -> None:
        """Raise SystemFailed when `up` died or the gateway stopped answering."""
        if self.process is None or self.process.poll() is not None:
            raise SystemFailed(f"`manage_all.py up` is gone; see {self.log}")
        try:
            httpx.get(f"{self.gateway_url}/health", timeout=5).raise_for_status()
        except httpx.HTTPError as error:
            raise SystemFailed(f"the gateway does not answer: {error}") from error

    def stop(self) -> list[str]:
        leftovers = super().stop()
        self._drop_cache_keys()
        return leftovers

    def _drop_cache_keys(self) -> None:
        """Remove the cache keys the services wrote (each under its own prefix) from the bench Redis DB."""
        try:
            import redis

            client = redis.Redis.from_url(self.env["REDIS_URL"], socket_timeout=2)
            for service in existing_services():
                keys = list(client.scan_iter(match=f"{service.name}:*", count=1000))
                for start in range(0, len(keys), 500):
                    client.delete(*keys[start : start + 500])
        except Exception as error:  # noqa: BLE001 - cleaning up is best effort
            print(f"bench: could not remove cache keys: {error}", file=sys.stderr)
