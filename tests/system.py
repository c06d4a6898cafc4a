"""Start and stop the system under test: `python3 manage_all.py up` as a child process.

It runs on its own var/ folder (var/e2e), its own ports, its own Redis (started by `up` on
a free port, so a test may stop it) and its own Tansu broker. With <SERVICE>_DATABASE_URL
pointing at PostgreSQL (CI), it uses databases named commercex_e2e_<service> on the same
server, created afresh for each session.
"""

import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import httpx

ROOT = Path(__file__).resolve().parent.parent
_LOCKS = []


def _claim_var() -> tuple[Path, str]:
    """Use var/e2e, or a folder (and database names) of this session's own while another
    session holds var/e2e, so that two runs of the suite at once do not meet."""
    lock = ROOT / "var" / "e2e.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    handle = open(lock, "w")  # noqa: SIM115 (held for the whole session)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return ROOT / "var" / f"e2e-{os.getpid()}", f"_{os.getpid()}"
    _LOCKS.append(handle)
    return ROOT / "var" / "e2e", ""


VAR, _SESSION_SUFFIX = _claim_var()
SERVICES = ["users", "products", "orders", "payments", "inventory", "notifications"]
START_TIMEOUT = 240.0
STOP_TIMEOUT = 60.0


def existing_services() -> list[str]:
    return [name for name in SERVICES if (ROOT / "services" / name / "manage.py").exists()]


def wait_until(predicate, *, timeout: float, interval: float = 0.05, message: str = "condition"):
    """Poll `predicate` until it returns a truthy value; return that value or fail."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {message}")
        time.sleep(interval)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _e2e_database_url(url: str, service: str) -> str:
    return urlunparse(urlparse(url)._replace(path=f"/commercex_e2e_{service}{_SESSION_SUFFIX}"))


def recreate_postgres_database(url: str, *, create: bool = True) -> None:
    """Drop (if any) and create the database named in `url`; only e2e databases get here."""
    import psycopg
    from psycopg import sql

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    assert name.startswith("commercex_e2e_"), name
    maintenance = urlunparse(parsed._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True, connect_timeout=5) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        if create:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def environment() -> dict:
    """Return the environment of `up` under test (and of `manage_all.py` commands run on it)."""
    env = dict(os.environ)
    for name in ("KAFKA_BOOTSTRAP_SERVERS", "COMMERCEX_KAFKA_PROFILE", "EMAIL_HOST", "EMAIL_PORT"):
        env.pop(name, None)
    env["COMMERCEX_VAR_DIR"] = str(VAR)
    env["PYTHONUNBUFFERED"] = "1"
    for service in SERVICES:
        key = f"{service.upper()}_DATABASE_URL"
        url = os.environ.get(key, "")
        if url.startswith(("postgres://", "postgresql://")):
            env[key] = _e2e_database_url(url, service)
        else:
            env.pop(key, None)  # SQLite under var/e2e/db
    return env


class System:
    """The running system under test: its addresses, and how to stop and start its parts."""

    def __init__(self) -> None:
        self.env = environment()
        self.process: subprocess.Popen | None = None
        self.log = VAR / "up.log"
        self.seen_pids: set[int] = set()

    # ---- lifecycle -------------------------------------------------------------------
    def start(self) -> None:
        if VAR.exists():
            shutil.rmtree(VAR)
        VAR.mkdir(parents=True)
        for key, url in self.env.items():
            if key.endswith("_DATABASE_URL") and "commercex_e2e_" in url:
                recreate_postgres_database(url)
        self.env["GATEWAY_PORT"] = str(free_port())
        for service in SERVICES:
            self.env[f"{service.upper()}_PORT"] = str(free_port())
        # Nothing listens there: `up` starts its own redis-server on it (tests stop that one).
        self.env["REDIS_URL"] = f"redis://127.0.0.1:{free_port()}/0"
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, str(ROOT / "manage_all.py"), "up"],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            wait_until(self._ready, timeout=START_TIMEOUT, interval=0.5, message="`up` to be healthy")
        except AssertionError:
            self.stop()
            raise AssertionError(f"`manage_all.py up` did not become healthy:\n{self.log_tail()}") from None
        self.remember_pids()

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"`manage_all.py up` exited early:\n{self.log_tail()}")
        if not self.state().get("children", {}).get("gateway", {}).get("pid"):
            return False
        # Printed once every health check is UP and the consumers joined their groups.
        if "CommerceX is up" not in self.log.read_text(errors="replace"):
            return False
        try:
            with httpx.Client(base_url=self.gateway_url, timeout=2) as client:
                if client.get("/health").status_code != 200:
                    return False
                return all(self.service_up(client, name) for name in existing_services())
        except httpx.HTTPError:
            return False

    @staticmethod
    def service_up(client: httpx.Client, name: str) -> bool:
        response = client.get(f"/api/{name}/health")
        return response.status_code == 200 and response.json().get("status") == "UP"

    def stop(self) -> list[str]:
        """SIGTERM `up`; return what is still running afterwards (nothing, when all is well)."""
        self.remember_pids()
        if self.process is None:
            return []
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
                return [f"`up` itself (pid {self.process.pid}) ignored SIGTERM"]
        return self.leftovers()

    def discard(self) -> None:
        """Remove a session-private folder and databases (var/e2e is kept, to inspect)."""
        if not _SESSION_SUFFIX:
            return
        for key, url in self.env.items():
            if key.endswith("_DATABASE_URL") and "commercex_e2e_" in url:
                recreate_postgres_database(url, create=False)
        shutil.rmtree(VAR, ignore_errors=True)

    def remember_pids(self) -> None:
        for child in self.state().get("children", {}).values():
            if child.get("pid"):
                self.seen_pids.add(child["pid"])

    def leftovers(self) -> list[str]:
        """Processes of any child's process group, or with var/e2e in their command line."""
        found = []
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                pgid = os.getpgid(int(proc.name))
                cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except (OSError, ProcessLookupError):
                continue
            if cmdline and (pgid in self.seen_pids or f"{VAR}/" in cmdline):
                found.append(f"{proc.name}: {cmdline.strip()}")
        return found

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    # ---- what the tests use ----------------------------------------------------------
    def state(self) -> dict:
        try:
            return json.loads((VAR / "run" / "state.json").read_text())
        except (OSError, ValueError):
            return {}

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.env['GATEWAY_PORT']}"

    @property
    def kafka_bootstrap_servers(self) -> str:
        return self.state()["kafka_bootstrap_servers"]

    def ctl(self, action: str, child: str) -> None:
        """Stop or start one child of `up` (e.g. payments-consume) and wait until it did."""
        result = subprocess.run(
            [sys.executable, str(ROOT / "manage_all.py"), "ctl", action, child],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=90,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        self.remember_pids()

    def manage_all(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, str(ROOT / "manage_all.py"), *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
