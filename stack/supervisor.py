"""`manage_all.py up`: start the whole system in the foreground and keep it running.

Order: prerequisites (nginx, Redis) → migrate + collectstatic per service → broker, Redis,
SMTP sink → every service under gunicorn with its worker commands (registry.WORKER_COMMANDS)
→ nginx. Then it waits for every health check, prints the URLs, restarts children that die
(with backoff) and, on SIGTERM or Ctrl-C, stops everything it started. State (pids,
addresses) is kept in var/run/state.json; `manage_all.py ctl stop|start <child>` takes one
child down or up. The ports are the fixed ones unless GATEWAY_PORT / <SERVICE>_PORT say
otherwise (stack.harness runs it on free ports).
"""

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlparse, urlunparse

import httpx

from stack import broker, gateway, procs, prometheus, system, workers
from stack.children import Child
from stack.registry import (
    CONSUMER_COMMANDS,
    CONSUMER_ONLY_COMMANDS,
    ROOT,
    WORKER_COMMANDS,
    Service,
    existing_services,
    service_port,
    var_dir,
)

POLL_SECONDS = 0.5
CONSUMER_JOIN_SECONDS = 30.0
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
# Processes whose command line contains one of these may be ours from a run that was killed.
_OWN_MARKERS = ("gunicorn", "manage.py", "nginx", "tansu", "redis-server", "aiosmtpd", "prometheus")


class Up:
    def __init__(self) -> None:
        self.var = var_dir()
        self.log_dir = self.var / "log"
        self.run_dir = self.var / "run"
        for path in (self.log_dir, self.run_dir / "control"):
            path.mkdir(parents=True, exist_ok=True)
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1", "COMMERCEX_VAR_DIR": str(self.var)}
        self.children: list[Child] = []
        self.consumers: list[Child] = []  # children that join a consumer group
        self.services = existing_services()
        self.ports = {service.name: service_port(service, self.env) for service in self.services}
        self.gateway_port = int(self.env.get("GATEWAY_PORT") or gateway.DEFAULT_GATEWAY_PORT)
        self.stop_requested = False
        self.info: dict = {}
        self._last_state = ""

    def say(self, message: str) -> None:
        print(f"[up] {message}", flush=True)
        with open(self.log_dir / "supervisor.log", "a") as out:
            out.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {message}\n")

    # ---- before anything starts ------------------------------------------------------
    def claim(self) -> None:
        """Refuse to run twice; clean up children left behind by a run that was killed."""
        pid_file = self.run_dir / "supervisor.pid"
        if pid_file.exists():
            pid = int(pid_file.read_text().strip() or 0)
            if pid and pid != os.getpid() and "manage_all.py" in procs.command_line(pid):
                raise SystemExit(f"`manage_all.py up` already runs here (pid {pid}); stop it first.")
        killed = []
        for stale in self.run_dir.glob("*.pid"):
            if stale.name == "supervisor.pid":
                continue
            pid = int(stale.read_text().strip() or 0)
            if pid and any(marker in procs.command_line(pid) for marker in _OWN_MARKERS):
                self.say(f"stopping {stale.stem} (pid {pid}) left over from an earlier run")
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, signal.SIGKILL)
                killed.append(pid)
            stale.unlink(missing_ok=True)
        deadline = time.monotonic() + 10
        while any(procs.group_alive(pid) for pid in killed) and time.monotonic() < deadline:
            time.sleep(0.1)
        for marker in (self.run_dir / "control").glob("*.stopped"):
            marker.unlink()
        pid_file.write_text(f"{os.getpid()}\n")

    def check_prerequisites(self) -> None:
        missing = []
        if gateway.nginx_binary() is None:
            missing.append("nginx-light")
        redis_url = self.env.get("REDIS_URL", DEFAULT_REDIS_URL)
        if not system.redis_reachable(redis_url) and system.redis_server_command(port=6379) is None:
            missing.append("redis-server")
        if missing and not system.install_packages(missing, say=self.say):
            if gateway.nginx_binary() is None:
                raise SystemExit("nginx is required for the gateway (see the message above).")
            self.say("continuing without Redis: no cache, no rate limit")

    def check_ports(self) -> None:
        ports = [("gateway", self.gateway_port), *self.ports.items()]
        busy = [f"{name} {port}" for name, port in ports if procs.port_open("127.0.0.1", port)]
        if busy:
            raise SystemExit(f"ports already in use: {', '.join(busy)}. Is another copy running?")

    def prepare_one(self, service: Service) -> tuple[str, dict | None]:
        """Create a missing PostgreSQL database, migrate and collect static files; describe the service."""
        url = self.env.get(service.database_env, "")
        if system.is_postgres(url) and system.ensure_postgres_database(url):
            self.say(f"{service.name}: created database {urlparse(url).path.lstrip('/')}")
        log = self.log_dir / f"{service.name}-prepare.log"
        result = subprocess.run(
            [sys.executable, str(ROOT / "stack" / "prepare_service.py")],
            cwd=service.directory,
            env=self.env,
            capture_output=True,
            text=True,
        )
        log.write_text(result.stdout + result.stderr)
        if result.returncode != 0:
            self.say(f"{service.name}: migrate/collectstatic FAILED, not started; see {log}")
            return service.name, None
        self.say(f"{service.name}: migrated, static files collected")
        return service.name, json.loads(result.stdout.strip().splitlines()[-1])

    def prepare(self) -> dict[str, dict]:
        self.say(f"preparing {len(self.services)} services: {', '.join(s.name for s in self.services)}")
        with ThreadPoolExecutor(max_workers=3) as pool:
            prepared = dict(pool.map(self.prepare_one, self.services))
        # A service that cannot migrate is left out (its routes answer 503); the rest run.
        self.services = [service for service in self.services if prepared[service.name] is not None]
        return prepared

    # ---- children --------------------------------------------------------------------
    def child(self, name: str, command: list[str], **kwargs) -> Child:
        env = kwargs.pop("env", self.env)
        log = self.log_dir / f"{name}.log"
        child = Child(name, command, log, self.run_dir, env=env, on_event=self.say, **kwargs)
        self.children.append(child)
        return child

    def start_and_wait(self, child: Child, port: int, timeout: float = 20) -> None:
        child.start()
        if not procs.wait_for_port("127.0.0.1", port, timeout=timeout):
            raise RuntimeError(f"{child.name} did not open port {port}; see {child.log}")

    def local_port(self, wanted: int) -> int:
        return wanted if not procs.port_open("127.0.0.1", wanted) else procs.free_port()

    def start_broker(self) -> None:
        if self.env.get("KAFKA_BOOTSTRAP_SERVERS"):
            self.say(f"broker: using {self.env['KAFKA_BOOTSTRAP_SERVERS']}")
            return
        port = self.local_port(int(self.env.get("BROKER_PORT") or 9092))
        command = broker.tansu_command(port=port)
        tansu = self.child("broker", command, stop_signal=signal.SIGINT, stop_timeout=5, tier=0)
        self.start_and_wait(tansu, port)
        self.env["KAFKA_BOOTSTRAP_SERVERS"] = f"127.0.0.1:{port}"
        self.env.setdefault("COMMERCEX_KAFKA_PROFILE", "tansu")
        self.say(f"broker: Tansu on 127.0.0.1:{port}")

    def start_redis(self) -> None:
        redis_url = self.env.get("REDIS_URL", DEFAULT_REDIS_URL)
        if system.redis_reachable(redis_url):
            self.say(f"redis: using {redis_url}")
            return
        parsed = urlparse(redis_url)
        local = parsed.hostname in ("127.0.0.1", "localhost")
        port = self.local_port(parsed.port or 6379) if local else procs.free_port()
        command = system.redis_server_command(port=port)
        if command is None:
            self.say("redis: not running and redis-server is not installed; no cache, no rate limit")
            return
        self.start_and_wait(self.child("redis", command, tier=0), port)
        self.env["REDIS_URL"] = urlunparse(parsed._replace(netloc=f"127.0.0.1:{port}", scheme="redis"))
        self.say(f"redis: redis-server on 127.0.0.1:{port}")

    def start_smtp(self) -> None:
        if self.env.get("EMAIL_HOST"):
            return
        port = self.local_port(int(self.env.get("SMTP_PORT") or 1025))
        command = [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}"]
        smtp = self.child("smtp", command, tier=1)
        self.start_and_wait(smtp, port)
        self.env.update({"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(port)})
        self.say(f"smtp: mail sink on 127.0.0.1:{port}, mails in {smtp.log}")

    def start_infrastructure(self) -> None:
        self.start_broker()
        self.start_redis()
        self.start_smtp()
        self.info.update(
            kafka_bootstrap_servers=self.env["KAFKA_BOOTSTRAP_SERVERS"],
            redis_url=self.env.get("REDIS_URL", DEFAULT_REDIS_URL),
            email=f"{self.env['EMAIL_HOST']}:{self.env.get('EMAIL_PORT', '25')}",
        )

    def web_command(self, service: Service) -> list[str]:
        return [
            sys.executable, "-m", "gunicorn", f"{service.name}.wsgi:application",
            *workers.gunicorn_arguments(service.name, self.env),
            "--bind", f"127.0.0.1:{self.ports[service.name]}",
            # Longer than nginx's upstream keep-alive, so nginx never reuses a closed one.
            "--keep-alive", "75", "--graceful-timeout", "5", "--timeout", "30", "--preload",
            # gunicorn 27's control socket has one default path for every master: not needed.
            "--no-control-socket",
        ]  # fmt: skip

    def start_services(self, prepared: dict[str, dict]) -> None:
        # A service that calls another over HTTP (orders fetching a product it has not seen
        # yet) finds it through <SERVICE>_SERVICE_URL.
        for service in self.services:
            url = f"http://127.0.0.1:{self.ports[service.name]}"
            self.env.setdefault(f"{service.name.upper()}_SERVICE_URL", url)
        for service in self.services:
            env = {
                **self.env,
                "DJANGO_SETTINGS_MODULE": service.settings_module,
                **prometheus.service_env(self.var, service.name),
            }
            self.child(
                f"{service.name}-web", self.web_command(service), cwd=service.directory, env=env, tier=2
            )
            described = prepared[service.name]
            for command in WORKER_COMMANDS:
                if command in CONSUMER_ONLY_COMMANDS and not described["handlers"]:
                    continue
                if command not in described["commands"]:
                    self.say(f"{service.name}: no `manage.py {command}` yet; not started")
                    continue
                argv = [*workers.event_worker_prefix(self.env), sys.executable, "manage.py", command]
                child = self.child(f"{service.name}-{command}", argv, cwd=service.directory, env=env, tier=2)
                if command in CONSUMER_COMMANDS and described["handlers"]:
                    self.consumers.append(child)
        for child in self.children:
            if child.tier == 2:
                child.start()
        self.say(f"started {sum(c.tier == 2 for c in self.children)} service processes")

    def start_gateway(self) -> None:
        config = gateway.write_config(var=self.var, ports=self.ports, env=self.env)
        gateway.check_config(config)
        nginx = self.child("gateway", gateway.nginx_command(config), tier=3)
        self.start_and_wait(nginx, self.gateway_port)
        self.say(f"gateway: nginx on port {self.gateway_port} (config {config})")

    # ---- running ---------------------------------------------------------------------
    def supervise(self) -> None:
        now = time.monotonic()
        for child in self.children:
            child.supervise(now)
        self.write_state()

    def write_state(self) -> None:
        children = {
            c.name: {
                "pid": c.process.pid if c.running else None,
                "state": c.state,
                "restarts": c.restarts,
                "log": str(c.log),
            }
            for c in self.children
        }
        state = {
            "supervisor_pid": os.getpid(),
            "gateway_url": f"http://127.0.0.1:{self.gateway_port}",
            "service_ports": self.ports,
            **self.info,
            "children": children,
        }
        text = json.dumps(state, indent=2)
        if text != self._last_state:
            tmp = self.run_dir / "state.json.tmp"
            tmp.write_text(text)
            tmp.replace(self.run_dir / "state.json")
            self._last_state = text

    @staticmethod
    def healthy(port: int, path: str) -> bool:
        try:
            response = httpx.get(f"http://127.0.0.1:{port}{path}", timeout=2, trust_env=False)
            return response.status_code == 200 and response.json().get("status") == "UP"
        except (httpx.HTTPError, ValueError):
            return False

    def wait_until_healthy(self, timeout: float) -> bool:
        """Wait for every health check, then (briefly) for every consumer to join its group."""
        checks = {s.name: (self.ports[s.name], f"/api/{s.name}/health") for s in self.services}
        checks["gateway"] = (self.gateway_port, "/health")
        started = time.monotonic()
        while checks and not self.stop_requested and time.monotonic() - started < timeout:
            self.supervise()
            for name, (port, path) in list(checks.items()):
                if self.healthy(port, path):
                    self.say(f"{name:<14} UP  ({time.monotonic() - started:4.1f} s)")
                    del checks[name]
            time.sleep(POLL_SECONDS)
        if checks and not self.stop_requested:
            self.say(f"not healthy after {timeout:.0f} s: {', '.join(checks)}; see {self.log_dir}")
            return False
        # A consumer logs "partitions assigned" once it joined its group: until then the
        # events it will read wait in Kafka. Best effort: it is only reported, never fatal.
        consumers = list(self.consumers)
        deadline = time.monotonic() + CONSUMER_JOIN_SECONDS
        while consumers and not self.stop_requested and time.monotonic() < deadline:
            self.supervise()
            consumers = [c for c in consumers if "partitions assigned" not in c.new_output()]
            time.sleep(POLL_SECONDS)
        if consumers and not self.stop_requested:
            self.say(f"still joining their consumer groups: {', '.join(c.name for c in consumers)}")
        elif not self.stop_requested:
            self.say(f"consumers      joined  ({time.monotonic() - started:4.1f} s)")
        return True

    def print_urls(self) -> None:
        base = f"http://localhost:{self.gateway_port}"
        lines = [f"CommerceX is up: {base}", f"  health    {base}/health"]
        lines += [f"  docs      {base}/api/{service.name}/docs/" for service in self.services]
        admins = [name for name in ("products", "orders", "users") if name in self.ports]
        lines += [f"  admin     {base}/admin/{name}/" for name in admins]
        lines += [
            f"  metrics   http://localhost:{port}/metrics (each service's port)"
            for port in [*self.ports.values()][:1]
        ]
        if self.info.get("prometheus_url"):
            lines.append(f"  prometheus {self.info['prometheus_url']}/targets")
        lines += [f"  logs      {self.log_dir}/", "Stop with Ctrl-C (or SIGTERM)."]
        print("\n".join(lines), flush=True)

    def run(self) -> int:
        self.claim()
        try:
            self.check_prerequisites()
            self.check_ports()
            prepared = self.prepare()
            steps = [
                self.start_infrastructure,
                lambda: self.start_services(prepared),
                self.start_gateway,
                lambda: prometheus.start(self),
            ]
            for step in steps:
                if not self.stop_requested:
                    step()
            if not self.stop_requested and self.wait_until_healthy(float(self.env.get("UP_TIMEOUT", 180))):
                self.print_urls()
            while not self.stop_requested:
                self.supervise()
                time.sleep(POLL_SECONDS)
            return 0
        finally:
            self.shutdown()

    def shutdown(self) -> None:
        """Stop every child, gateway first, broker and Redis last; leave nothing behind."""
        if self.children:
            self.say("stopping ...")
        for tier in sorted({child.tier for child in self.children}, reverse=True):
            group = [child for child in self.children if child.tier == tier]
            for child in group:
                child.signal_stop()
            for child in group:
                child.stop()
        self.children.clear()
        self.write_state()
        (self.run_dir / "supervisor.pid").unlink(missing_ok=True)
        self.say("stopped")


def run_up(*, observability: bool = False) -> int:
    up = Up()
    if observability:
        prometheus.install(say=up.say)

    def request_stop(signum, frame):
        up.stop_requested = True

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, request_stop)
    try:
        return up.run()
    except RuntimeError as exc:
        print(f"[up] failed: {exc}", file=sys.stderr, flush=True)
        return 1
