"""The one harness: the whole system under `manage_all.py up`, started and watched from outside.

`System` starts `up` as a child process on free ports (or the fixed ones), on a var folder
of its own, waits until every health check answers, reports its state (var/run/state.json),
stops and starts one child (`ctl`) or kills one, restarts the whole system on the same data,
stops everything and reports what is left. The e2e tests, the drills, the soak and the
benchmark use it; `control` is `manage_all.py ctl`.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from stack import procs, system
from stack.registry import ROOT, existing_services, service_named, var_dir

START_TIMEOUT = 240.0
STOP_TIMEOUT = 90.0
# What a harness's `up` must find by itself (its own broker, SMTP sink), not inherit.
_NOT_INHERITED = ("KAFKA_BOOTSTRAP_SERVERS", "COMMERCEX_KAFKA_PROFILE", "EMAIL_HOST", "EMAIL_PORT")


class SystemFailed(RuntimeError):
    """The system did not start, did not do what it was asked, or stopped answering."""


def read_state(var: Path | None = None) -> dict:
    try:
        return json.loads(((var or var_dir()) / "run" / "state.json").read_text())
    except (OSError, ValueError):
        return {}


def control(action: str, name: str, *, var: Path | None = None, timeout: float = 60) -> int:
    """Stop or start one child of a running `up` and wait until it took effect."""
    var = var or var_dir()
    state = read_state(var)
    if not state.get("supervisor_pid") or not procs.command_line(state["supervisor_pid"]):
        print("`manage_all.py up` is not running here.", file=sys.stderr)
        return 1
    if name not in state.get("children", {}):
        print(f"no child named {name!r}; children: {', '.join(state.get('children', {}))}", file=sys.stderr)
        return 1
    marker = var / "run" / "control" / f"{name}.stopped"
    if action == "stop":
        marker.touch()
    else:
        marker.unlink(missing_ok=True)
    wanted = "stopped" if action == "stop" else "running"
    try:
        procs.wait_until(
            lambda: read_state(var).get("children", {}).get(name, {}).get("state") == wanted,
            timeout=timeout,
            interval=0.1,
        )
    except AssertionError:
        print(f"{name}: not {wanted} after {timeout:.0f} s", file=sys.stderr)
        return 1
    print(f"{name}: {wanted}")
    return 0


class System:
    """The running system: its addresses, and how to stop and start it or its parts.

    `var`: its own var folder. `free_ports`: every port chosen free (never the fixed ones
    of a developer's `up`). `databases`: a label L that points each PostgreSQL
    <SERVICE>_DATABASE_URL at a fresh database commercex_L_<service> (None: as given).
    `own_redis`: point REDIS_URL at a free port, so that `up` starts (and may stop) a
    redis-server of its own. `env`: more variables (e.g. RATE_LIMIT=off).
    """

    def __init__(
        self,
        *,
        var: Path,
        free_ports: bool = True,
        databases: str | None = None,
        own_redis: bool = False,
        env: dict | None = None,
    ) -> None:
        self.var = var
        self.log = var / "up.log"
        self.env = {k: v for k, v in os.environ.items() if k not in _NOT_INHERITED}
        self.env.update(COMMERCEX_VAR_DIR=str(var), PYTHONUNBUFFERED="1", **(env or {}))
        self.databases = databases
        for service in existing_services():
            url = self.env.get(service.database_env, "")
            if databases and system.is_postgres(url):
                self.env[service.database_env] = system.own_database_url(
                    url, label=databases, service=service.name
                )
            elif not system.is_postgres(url):
                self.env.pop(service.database_env, None)  # SQLite under <var>/db
        if free_ports:
            for name in ("GATEWAY_PORT", "BROKER_PORT", "SMTP_PORT"):
                self.env[name] = str(procs.free_port())
            self.env.update({service.port_env: str(procs.free_port()) for service in existing_services()})
        if own_redis:
            self.env["REDIS_URL"] = f"redis://127.0.0.1:{procs.free_port()}/0"
        self.process: subprocess.Popen | None = None
        self.seen_pids: set[int] = set()
        self.started_at = time.time()
        self.log_offset = 0

    # ---- lifecycle -------------------------------------------------------------------
    def own_database_urls(self) -> list[str]:
        urls = [self.env.get(service.database_env, "") for service in existing_services()]
        return [url for url in urls if self.databases and system.is_postgres(url)]

    def start(self, *, fresh: bool = True, timeout: float = START_TIMEOUT) -> None:
        """Start `up` (on fresh databases and logs unless `fresh=False`) and wait until it is healthy."""
        self.stop_earlier_run()
        if fresh:
            for folder in ("db", "log", "run"):
                shutil.rmtree(self.var / folder, ignore_errors=True)
            self.log.unlink(missing_ok=True)
            for url in self.own_database_urls():
                system.recreate_postgres_database(url)
        self.var.mkdir(parents=True, exist_ok=True)
        self.started_at = time.time()
        self.log_offset = self.log.stat().st_size if self.log.exists() else 0
        command = [sys.executable, str(ROOT / "manage_all.py"), "up"]
        self.process = procs.start(command, log=self.log, env=self.env, cwd=ROOT)
        try:
            procs.wait_until(self.ready, timeout=timeout, interval=0.5, message="`up` to be healthy")
        except (AssertionError, SystemFailed) as error:
            self.stop()
            raise SystemFailed(f"`manage_all.py up` is not healthy ({error}):\n{self.log_tail()}") from None
        self.remember_pids()

    def stop_earlier_run(self) -> None:
        """SIGTERM the `up` a killed earlier run of this harness left running on the same var folder."""
        pid = read_state(self.var).get("supervisor_pid")
        if not pid or "manage_all.py" not in procs.command_line(pid):
            return
        print(f"stopping the system left running by an earlier run (pid {pid})", file=sys.stderr)
        os.kill(pid, signal.SIGTERM)
        procs.wait_until(lambda: not procs.command_line(pid), timeout=STOP_TIMEOUT, interval=0.5)

    def ready(self) -> bool:
        if self.process.poll() is not None:
            raise SystemFailed("`manage_all.py up` exited early")
        # Printed once every health check is UP and the consumers joined their groups.
        with open(self.log, "rb") as log:
            log.seek(self.log_offset)
            if b"CommerceX is up" not in log.read():
                return False
        try:
            with httpx.Client(base_url=self.gateway_url, timeout=2) as client:
                if client.get("/health").status_code != 200:
                    return False
                return all(self.service_up(client, service.name) for service in existing_services())
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
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                procs.stop(self.process, sig=signal.SIGKILL)
                return [f"`up` itself (pid {self.process.pid}) ignored SIGTERM"]
        return procs.leftovers(self.seen_pids, f"{self.var}/")

    def restart(self) -> float:
        """Stop the whole system, check it left nothing behind, start it on the same data; return seconds."""
        stopped_at = time.monotonic()
        leftovers = self.stop()
        if leftovers:
            raise SystemFailed(f"left running after `up` stopped: {leftovers}")
        self.start(fresh=False)
        return time.monotonic() - stopped_at

    def discard(self) -> None:
        """Drop the harness's own databases and remove its var folder."""
        for url in self.own_database_urls():
            system.recreate_postgres_database(url, create=False)
        shutil.rmtree(self.var, ignore_errors=True)

    def remember_pids(self) -> None:
        self.seen_pids.update(child["pid"] for child in self.children().values() if child.get("pid"))

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    # ---- state and children ----------------------------------------------------------
    def state(self) -> dict:
        return read_state(self.var)

    def children(self) -> dict[str, dict]:
        return self.state().get("children", {})

    @property
    def gateway_url(self) -> str:
        return self.state().get("gateway_url") or f"http://127.0.0.1:{self.env.get('GATEWAY_PORT', 8000)}"

    @property
    def kafka_bootstrap_servers(self) -> str:
        """The broker `up` started (never written back into `env`: a restart starts its own again)."""
        return self.state()["kafka_bootstrap_servers"]

    @property
    def redis_url(self) -> str:
        return self.state().get("redis_url", "")

    def ctl(self, action: str, name: str) -> None:
        """Stop or start one child of `up` (e.g. payments-work) and wait until it did."""
        if control(action, name, var=self.var, timeout=90) != 0:
            raise SystemFailed(f"ctl {action} {name} failed")
        self.remember_pids()

    def kill(self, name: str, sig: int = signal.SIGKILL) -> int:
        """Send `sig` to one child's process group; return the pid it had."""
        pid = self.children()[name]["pid"]
        if not pid:
            raise SystemFailed(f"{name} is not running")
        os.killpg(pid, sig)
        return pid

    def wait_restarted(self, name: str, old_pid: int, *, timeout: float = 30) -> None:
        def restarted():
            child = self.children().get(name, {})
            return child.get("pid") and child["pid"] != old_pid and child.get("state") == "running"

        procs.wait_until(restarted, timeout=timeout, interval=0.2, message=f"{name} to be restarted")
        self.remember_pids()

    # ---- commands on the system ------------------------------------------------------
    def manage_all(self, *args: str) -> subprocess.CompletedProcess:
        command = [sys.executable, str(ROOT / "manage_all.py"), *args]
        return subprocess.run(command, cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=120)

    def create_admin(self, email: str, password: str) -> None:
        result = self.manage_all("createadmin", f"--email={email}", f"--password={password}")
        if result.returncode != 0:
            raise SystemFailed(f"createadmin failed: {result.stdout}{result.stderr}")

    def django_script(self, service_name: str, script: Path, payload: dict, *, timeout: float = 600) -> dict:
        """Run `script` with the service's Django set up; send `payload` as JSON, return its JSON answer."""
        service = service_named(service_name)
        path = os.pathsep.join([str(service.directory), str(ROOT)])
        env = {**self.env, "DJANGO_SETTINGS_MODULE": service.settings_module, "PYTHONPATH": path}
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
