"""`manage_all.py up`: start the whole system in the foreground and keep it running.

Order: prerequisites (nginx, Redis) → migrate + collectstatic per service → broker, Redis,
SMTP sink → every service under gunicorn with its consumer and relay → nginx. Then it
waits for every health check, prints the URLs, restarts children that die (with backoff)
and, on SIGTERM or Ctrl-C, stops everything it started. State (pids, addresses) is kept
in var/run/state.json; `manage_all.py ctl stop|start <child>` takes one child down or up.
"""

import contextlib
import http.client
import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlparse, urlunparse

from stack import broker, gateway, procs, prometheus, system
from stack.children import Child
from stack.control import cmdline_of, group_alive, pid_alive, service_port, var_dir
from stack.redis import redis_reachable, redis_server_command
from stack.registry import ROOT, Service, existing_services

POLL_SECONDS = 0.5
CONSUMER_JOIN_SECONDS = 30.0
# Processes whose command line contains one of these may be ours from a run that was killed.
_OWN_MARKERS = ("gunicorn", "manage.py", "nginx", "tansu", "redis-server", "aiosmtpd")


class Up:
    def __init__(self) -> None:
        self.var = var_dir()
        self.log_dir = self.var / "log"
        self.run_dir = self.var / "run"
        for path in (self.log_dir, self.run_dir / "control"):
            path.mkdir(parents=True, exist_ok=True)
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1", "COMMERCEX_VAR_DIR": str(self.var)}
        self.children: list[Child] = []
        self.services = existing_services()
        self.ports = {service.name: service_port(service, self.env) for service in self.services}
        self.gateway_port = int(self.env.get("GATEWAY_PORT") or gateway.DEFAULT_GATEWAY_PORT)
        self.stop_requested = False
        self.info: dict = {}
        self._last_state = ""

    # ---- output ----------------------------------------------------------------------
    def say(self, message: str) -> None:
        line = f"[up] {message}"
        print(line, flush=True)
        with open(self.log_dir / "supervisor.log", "a") as out:
            out.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {message}\n")

    # ---- before anything starts ------------------------------------------------------
    def claim(self) -> None:
        """Refuse to run twice; clean up children left behind by a run that was killed."""
        pid_file = self.run_dir / "supervisor.pid"
        if pid_file.exists():
            pid = int(pid_file.read_text().strip() or 0)
            if pid and pid != os.getpid() and pid_alive(pid) and "manage_all.py" in cmdline_of(pid):
                raise SystemExit(f"`manage_all.py up` already runs here (pid {pid}); stop it first.")
        killed = []
        for stale in self.run_dir.glob("*.pid"):
            if stale.name == "supervisor.pid":
                continue
            pid = int(stale.read_text().strip() or 0)
            if pid and pid_alive(pid) and any(marker in cmdline_of(pid) for marker in _OWN_MARKERS):
                self.say(f"stopping {stale.stem} (pid {pid}) left over from an earlier run")
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, signal.SIGKILL)
                killed.append(pid)
            stale.unlink(missing_ok=True)
        deadline = time.monotonic() + 10
        while any(group_alive(pid) for pid in killed) and time.monotonic() < deadline:
            time.sleep(0.1)
        for marker in (self.run_dir / "control").glob("*.stopped"):
            marker.unlink()
        pid_file.write_text(f"{os.getpid()}\n")

    def check_prerequisites(self) -> None:
        missing = []
        if gateway.nginx_binary() is None:
            missing.append("nginx-light")
        redis_url = self.env.get("REDIS_URL", "redis://127.0.0.1:6379/0")
        if not redis_reachable(redis_url) and redis_server_command(port=6379) is None:
            missing.append("redis-server")
        if missing and not system.install_packages(missing, say=self.say):
            if gateway.nginx_binary() is None:
                raise SystemExit("nginx is required for the gateway (see the message above).")
            self.say("continuing without Redis: no cache, no rate limit")

    def check_ports(self) -> None:
        busy = [
            f"{name} {port}"
            for name, port in [("gateway", self.gateway_port), *self.ports.items()]
            if procs.port_open("127.0.0.1", port)
        ]
        if busy:
            raise SystemExit(f"ports already in use: {', '.join(busy)}. Is another copy running?")

    def prepare(self) -> dict[str, dict]:
        """Create missing PostgreSQL databases, migrate and collect static files, in parallel."""

        def prepare_one(service: Service) -> tuple[str, dict]:
            url = self.env.get(service.database_env, "")
            if url.startswith(("postgres://", "postgresql://")) and system.ensure_postgres_database(url):
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

        self.say(f"preparing {len(self.services)} services: {', '.join(s.name for s in self.services)}")
        with ThreadPoolExecutor(max_workers=3) as pool:
            prepared = dict(pool.map(prepare_one, self.services))
        # A service that cannot migrate is left out (its routes answer 503); the rest run.
        self.services = [service for service in self.services if prepared[service.name] is not None]
        return prepared

    # ---- children --------------------------------------------------------------------
    def child(self, name: str, command: list[str], **kwargs) -> Child:
        child = Child(
            name=name,
            command=command,
            log=self.log_dir / f"{name}.log",
            run_dir=self.run_dir,
            env=kwargs.pop("env", self.env),
            on_event=self.say,
            **kwargs,
        )
        self.children.append(child)
        return child

    def start_and_wait(self, child: Child, port: int, timeout: float = 20) -> None:
        child.start()
        if not procs.wait_for_port("127.0.0.1", port, timeout=timeout):
            raise RuntimeError(f"{child.name} did not open port {port}; see {child.log}")

    def start_infrastructure(self) -> None:
        if self.env.get("KAFKA_BOOTSTRAP_SERVERS"):
            self.say(f"broker: using {self.env['KAFKA_BOOTSTRAP_SERVERS']}")
        else:
            port = 9092 if not procs.port_open("127.0.0.1", 9092) else procs.free_port()
            tansu = self.child(
                "broker", broker.tansu_command(port=port), stop_signal=signal.SIGINT, stop_timeout=5, tier=0
            )
            self.start_and_wait(tansu, port)
            self.env["KAFKA_BOOTSTRAP_SERVERS"] = f"127.0.0.1:{port}"
            self.env.setdefault("COMMERCEX_KAFKA_PROFILE", "tansu")
            self.say(f"broker: Tansu on 127.0.0.1:{port}")

        redis_url = self.env.get("REDIS_URL", "redis://127.0.0.1:6379/0")
        if redis_reachable(redis_url):
            self.say(f"redis: using {redis_url}")
        else:
            parsed = urlparse(redis_url)
            port = parsed.port or 6379
            if parsed.hostname not in ("127.0.0.1", "localhost") or procs.port_open("127.0.0.1", port):
                port = procs.free_port()
            command = redis_server_command(port=port)
            if command is None:
                self.say("redis: not running and redis-server is not installed; no cache, no rate limit")
            else:
                self.start_and_wait(self.child("redis", command, tier=0), port)
                redis_url = urlunparse(parsed._replace(netloc=f"127.0.0.1:{port}", scheme="redis"))
                self.say(f"redis: redis-server on 127.0.0.1:{port}")
        self.env["REDIS_URL"] = redis_url

        if not self.env.get("EMAIL_HOST"):
            port = 1025 if not procs.port_open("127.0.0.1", 1025) else procs.free_port()
            smtp = self.child(
                "smtp", [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}"], tier=1
            )
            self.start_and_wait(smtp, port)
            self.env.update({"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(port)})
            self.say(f"smtp: mail sink on 127.0.0.1:{port}, mails in {smtp.log}")
        self.info.update(
            kafka_bootstrap_servers=self.env["KAFKA_BOOTSTRAP_SERVERS"],
            redis_url=redis_url,
            email=f"{self.env['EMAIL_HOST']}:{self.env.get('EMAIL_PORT', '25')}",
        )

    def start_services(self, prepared: dict[str, dict]) -> None:
        # A service that calls another over HTTP (orders fetching a product it has not seen
        # yet) finds it through <SERVICE>_SERVICE_URL.
        for service in self.services:
            self.env.setdefault(
                f"{service.name.upper()}_SERVICE_URL", f"http://127.0.0.1:{self.ports[service.name]}"
            )
        workers = self.env.get("GUNICORN_WORKERS", "2")
        threads = self.env.get("GUNICORN_THREADS", "4")
        for service in self.services:
            env = {
                **self.env,
                "DJANGO_SETTINGS_MODULE": service.settings_module,
                **prometheus.service_env(self.var, service.name),
            }
            web = [
                sys.executable, "-m", "gunicorn", f"{service.name}.wsgi:application",
                "--worker-class", "gthread", "--workers", workers, "--threads", threads,
                "--bind", f"127.0.0.1:{self.ports[service.name]}",
                # Longer than nginx's upstream keep-alive, so nginx never reuses a closed one.
                "--keep-alive", "75", "--graceful-timeout", "5", "--timeout", "30", "--preload",
                # gunicorn 27's control socket has one default path for every master: not needed.
                "--no-control-socket",
            ]  # fmt: skip
            self.child(f"{service.name}-web", web, cwd=service.directory, env=env, tier=2)
            described = prepared[service.name]
            wanted = ["relay", *(["consume"] if described["handlers"] else [])]
            for command in wanted:
                if command in described["commands"]:
                    argv = [sys.executable, "manage.py", command]
                    self.child(f"{service.name}-{command}", argv, cwd=service.directory, env=env, tier=2)
                else:
                    self.say(f"{service.name}: no `manage.py {command}` yet; not started")
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
        state = {
            "supervisor_pid": os.getpid(),
            "gateway_url": f"http://127.0.0.1:{self.gateway_port}",
            "service_ports": self.ports,
            **self.info,
            "children": {
                c.name: {
                    "pid": c.process.pid if c.running else None,
                    "state": c.state,
                    "restarts": c.restarts,
                    "log": str(c.log),
                }
                for c in self.children
            },
        }
        text = json.dumps(state, indent=2)
        if text != self._last_state:
            tmp = self.run_dir / "state.json.tmp"
            tmp.write_text(text)
            tmp.replace(self.run_dir / "state.json")
            self._last_state = text

    def healthy(self, port: int, path: str) -> bool:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            return response.status == 200 and json.loads(response.read()).get("status") == "UP"
        except (OSError, ValueError, http.client.HTTPException):
            return False
        finally:
            connection.close()

    def wait_until_healthy(self, timeout: float) -> bool:
        """Wait for every health check, then (briefly) for every consumer to join its group."""
        checks = {
            service.name: (self.ports[service.name], f"/api/{service.name}/health")
            for service in self.services
        }
        checks["gateway"] = (self.gateway_port, "/health")
        started, pending = time.monotonic(), dict(checks)
        while pending and not self.stop_requested and time.monotonic() - started < timeout:
            self.supervise()
            for name, (port, path) in list(pending.items()):
                if self.healthy(port, path):
                    self.say(f"{name:<14} UP  ({time.monotonic() - started:4.1f} s)")
                    del pending[name]
            time.sleep(POLL_SECONDS)
        if pending and not self.stop_requested:
            self.say(f"not healthy after {timeout:.0f} s: {', '.join(pending)}; see {self.log_dir}")
            return False
        # A consumer logs "partitions assigned" once it joined its group: until then the
        # events it will read wait in Kafka. Best effort: it is only reported, never fatal.
        consumers = [child for child in self.children if child.name.endswith("-consume")]
        deadline = time.monotonic() + CONSUMER_JOIN_SECONDS
        while consumers and not self.stop_requested and time.monotonic() < deadline:
            self.supervise()
            consumers = [child for child in consumers if "partitions assigned" not in child.new_output()]
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
        lines += [
            f"  admin     {base}/admin/{name}/"
            for name in ("products", "orders", "users")
            if name in self.ports
        ]
        lines += [f"  metrics   http://localhost:{self.ports[s.name]}/metrics" for s in self.services[:1]]
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
            if not self.stop_requested:
                self.start_infrastructure()
            if not self.stop_requested:
                self.start_services(prepared)
                self.start_gateway()
                prometheus.start(self)
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

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGHUP, request_stop)
    try:
        return up.run()
    except RuntimeError as exc:
        print(f"[up] failed: {exc}", file=sys.stderr, flush=True)
        return 1
