"""Start CommerceX for a benchmark through `manage_all.py up`, on free ports, and stop it.

The system runs from its own var folder (var/bench/system: SQLite files, keys, logs) with
RATE_LIMIT=off, every port chosen free (so it never meets a running `up` on 8000 and
3001-3006), Redis database BENCH_REDIS_DB (11) for its cache keys, and the PostgreSQL
databases named by <SERVICE>_DATABASE_URL when they are set.
"""

import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import httpx

from bench import cpu
from stack import procs
from stack.registry import ROOT, VAR, existing_services, service_named

BENCH_VAR = VAR / "bench"
SYSTEM_VAR = BENCH_VAR / "system"
REDIS_DB = os.environ.get("BENCH_REDIS_DB", "11")
ADMIN_EMAIL = "bench-admin@example.com"


class SystemFailed(RuntimeError):
    """The system did not start (or stopped answering)."""


def _bench_redis_url() -> str:
    parsed = urlparse(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    return urlunparse(parsed._replace(path=f"/{REDIS_DB}"))


def uses_postgres() -> bool:
    return any(
        os.environ.get(service.database_env, "").startswith(("postgres://", "postgresql://"))
        for service in existing_services()
    )


class BenchSystem:
    """The whole system under `manage_all.py up`, as a child process of the benchmark."""

    def __init__(self) -> None:
        self.var = SYSTEM_VAR
        self.services = existing_services()
        self.ports = {service.name: procs.free_port() for service in self.services}
        self.gateway_port = procs.free_port()
        self.env = {
            **os.environ,
            "COMMERCEX_VAR_DIR": str(self.var),
            "RATE_LIMIT": "off",
            "GATEWAY_RATE_LIMIT": "off",
            "GATEWAY_PORT": str(self.gateway_port),
            "REDIS_URL": _bench_redis_url(),
            "PYTHONUNBUFFERED": "1",
            **{f"{name.upper()}_PORT": str(port) for name, port in self.ports.items()},
        }
        # A throw-away admin of this run's system (reset on every run).
        self.admin_password = secrets.token_urlsafe(16)
        self.process: subprocess.Popen | None = None
        self.state: dict = {}
        self.started_at = time.time()
        self.cpu = cpu.CpuMeter(self.children)
        self.idle_cpu_percent: dict[str, float] = {}

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    @property
    def log(self) -> Path:
        return BENCH_VAR / "up.log"

    def start(self, *, timeout: float = 300) -> None:
        """Start `up` on fresh embedded databases (PostgreSQL ones are kept) and wait until healthy."""
        self._stop_leftover()
        shutil.rmtree(self.var / "db", ignore_errors=True)
        shutil.rmtree(self.var / "log", ignore_errors=True)
        self.var.mkdir(parents=True, exist_ok=True)
        self.log.unlink(missing_ok=True)
        self.started_at = time.time()
        self.process = procs.start(
            [sys.executable, str(ROOT / "manage_all.py"), "up"], log=self.log, env=self.env, cwd=ROOT
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemFailed(
                    f"`manage_all.py up` exited with {self.process.returncode}; see {self.log}"
                )
            if "CommerceX is up" in self.log.read_text(errors="replace"):
                break
            time.sleep(0.5)
        else:
            raise SystemFailed(f"the system was not healthy after {timeout:.0f} s; see {self.log}")
        self.state = json.loads((self.var / "run" / "state.json").read_text())
        self.env["KAFKA_BOOTSTRAP_SERVERS"] = self.state["kafka_bootstrap_servers"]
        self.env["REDIS_URL"] = self.state.get("redis_url", self.env["REDIS_URL"])

    def _stop_leftover(self) -> None:
        """Stop the `up` of an earlier benchmark that was killed before it could stop it."""
        pid_file = self.var / "run" / "supervisor.pid"
        try:
            pid = int(pid_file.read_text().strip())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, ValueError):
            return
        if b"manage_all.py" not in cmdline:
            return
        print(f"bench: stopping the system left running by an earlier run (pid {pid})", file=sys.stderr)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
            time.sleep(0.5)

    def children(self) -> dict[str, int]:
        """Return the pid of each child of `up` (from its state file)."""
        state = json.loads((self.var / "run" / "state.json").read_text())
        return {name: child["pid"] for name, child in state["children"].items() if child.get("pid")}

    def check_alive(self) -> None:
        """Raise SystemFailed when `up` died or the gateway stopped answering."""
        if self.process is None or self.process.poll() is not None:
            raise SystemFailed(f"`manage_all.py up` is gone; see {self.log}")
        try:
            httpx.get(f"{self.base_url}/health", timeout=5).raise_for_status()
        except httpx.HTTPError as error:
            raise SystemFailed(f"the gateway does not answer: {error}") from error

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(90)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self.process = None
        self._drop_cache_keys()

    def _drop_cache_keys(self) -> None:
        """Remove the cache keys the services wrote (each under its own prefix) from the bench Redis DB."""
        try:
            import redis

            client = redis.Redis.from_url(self.env["REDIS_URL"], socket_timeout=2)
            for service in self.services:
                keys = list(client.scan_iter(match=f"{service.name}:*", count=1000))
                for start in range(0, len(keys), 500):
                    client.delete(*keys[start : start + 500])
        except Exception as error:  # noqa: BLE001 - cleaning up is best effort
            print(f"bench: could not remove cache keys: {error}", file=sys.stderr)

    # ---- running code inside a service ----------------------------------------------
    def manage(self, service_name: str, *args: str) -> str:
        service = service_named(service_name)
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=service.directory,
            env={**self.env, "DJANGO_SETTINGS_MODULE": service.settings_module},
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise SystemFailed(
                f"manage.py {' '.join(args)} ({service_name}) failed:\n{result.stderr[-2000:]}"
            )
        return result.stdout

    def django_script(self, service_name: str, script: Path, payload: dict, *, timeout: float = 600) -> dict:
        """Run `script` with the service's Django set up; send `payload` as JSON, return its JSON answer."""
        service = service_named(service_name)
        env = {
            **self.env,
            "DJANGO_SETTINGS_MODULE": service.settings_module,
            "PYTHONPATH": str(service.directory),
        }
        result = subprocess.run(
            [sys.executable, str(script)],
            cwd=service.directory,
            env=env,
            input=json.dumps(payload),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise SystemFailed(f"{script.name} ({service_name}) failed:\n{result.stderr[-3000:]}")
        return json.loads(result.stdout.strip().splitlines()[-1])

    def ensure_admin(self) -> None:
        self.manage("users", "createadmin", "--email", ADMIN_EMAIL, "--password", self.admin_password)
