"""Ceilings measured in the same run: what this machine does with no CommerceX code in the way.

- nginx answering a fixed body (a tiny nginx config on a free port, access log off);
- a trivial Django view (bench/trivial_app.py) under gunicorn configured as the services
  are by default (stack.workers: gthread 2 x 4, GUNICORN_* override), through that nginx
  with upstream keep-alive;
- Redis GET (redis-benchmark when installed, else a redis-py loop);
- a single-row INSERT per transaction (pgbench on the services' PostgreSQL server when
  <SERVICE>_DATABASE_URL points to one, else a sqlite3 loop, as the embedded default is);
- broker produce and consume of 200-byte messages (confluent-kafka, the relay's producer
  settings: idempotent, acks=all).
Each returns a dict: value, unit, how (what exactly was measured), and p50/p99 when known.
"""

import contextlib
import os
import shutil
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

from bench import loadgen
from bench.system import BENCH_VAR
from stack import gateway, procs, system, workers
from stack.registry import ROOT

CEILING_VAR = BENCH_VAR / "ceilings"
MESSAGE_BYTES = 200

SITE = """\
access_log off;
upstream trivial_django {{ server 127.0.0.1:{django_port}; keepalive 16; }}
server {{
    listen 127.0.0.1:{port};
    location = /fixed {{
        default_type application/json;
        return 200 '{{"status": "UP"}}';
    }}
    location / {{
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $http_host;
        proxy_pass http://trivial_django;
    }}
}}
"""


def _figure(value, unit: str, how: str, **extra) -> dict:
    return {**extra, "value": value, "unit": unit, "how": how}


def _loop_rate(step, seconds: float) -> float:
    """Call `step` for `seconds`; return the calls per second."""
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        step()
        count += 1
    return count / (time.perf_counter() - started)


class HttpCeilings:
    """nginx (fixed body) and trivial Django through nginx, started for the run, stopped after."""

    def __init__(self) -> None:
        self.port = procs.free_port()
        self.django_port = procs.free_port()
        self.processes: list = []

    def __enter__(self) -> "HttpCeilings":
        site = SITE.format(port=self.port, django_port=self.django_port)
        config = gateway.write_main_config(CEILING_VAR, site, "ceiling-site.conf")
        log_dir = CEILING_VAR / "log"
        # The services' default model (stack.workers, GUNICORN_* variables as for them).
        django = [
            sys.executable, "-m", "gunicorn", "bench.trivial_app:application",
            *workers.gunicorn_arguments("trivial", os.environ),
            "--bind", f"127.0.0.1:{self.django_port}", "--keep-alive", "75", "--preload",
        ]  # fmt: skip
        self.processes.append(procs.start(django, log=log_dir / "trivial-django.log", cwd=ROOT))
        self.processes.append(procs.start(gateway.nginx_command(config), log=log_dir / "nginx.log"))
        for port in (self.django_port, self.port):
            if not procs.wait_for_port("127.0.0.1", port, timeout=30):
                self.__exit__(None, None, None)
                raise RuntimeError(f"ceiling server on port {port} did not start; see {log_dir}")
        return self

    def __exit__(self, *exc) -> None:
        for process in reversed(self.processes):
            procs.stop(process, timeout=10)
        self.processes.clear()

    def measure(self, *, seconds: float) -> dict:
        fixed = loadgen.run_wrk(f"http://127.0.0.1:{self.port}/fixed", seconds=seconds)
        loadgen.run_wrk(f"http://127.0.0.1:{self.port}/trivial", seconds=1)  # warm the workers
        django = loadgen.run_wrk(f"http://127.0.0.1:{self.port}/trivial", seconds=seconds)
        wrk = f"wrk -t{loadgen.WRK_THREADS} -c{loadgen.WRK_CONNECTIONS}"
        django_how = "Django JsonResponse, gunicorn gthread (as the services), nginx keep-alive"
        return {
            "nginx": _figure(fixed.rps, "req/s", f"nginx `return 200`, {wrk}", **fixed.as_dict()),
            "django": _figure(django.rps, "req/s", django_how, **django.as_dict()),
        }


def redis_get(redis_url: str, *, quick: bool) -> dict:
    parsed = urlparse(redis_url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 6379
    requests = 100_000 if quick else 400_000
    binary = shutil.which("redis-benchmark")
    if binary:
        result = subprocess.run(
            [binary, "-h", host, "-p", str(port), "-t", "get", "-n", str(requests), "-c", "50", "--csv"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        for line in result.stdout.splitlines():
            fields = [field.strip('"') for field in line.split(",")]
            if fields and fields[0] == "GET":
                how = "redis-benchmark -t get -c 50"
                return _figure(
                    float(fields[1]), "GET/s", how, p50_ms=float(fields[4]), p99_ms=float(fields[6])
                )
    import redis

    client = redis.Redis(host=host, port=port)
    client.get("bench:ceiling:absent")
    rate = _loop_rate(lambda: client.get("bench:ceiling:absent"), 2 if quick else 5)
    return _figure(rate, "GET/s", "redis-py GET loop, one connection (redis-benchmark not installed)")


def database_insert(*, quick: bool) -> dict:
    """Single-row INSERT, one transaction each: the services' database engine, no Django."""
    seconds = 5 if quick else 15
    url = system.postgres_url()
    if url is None:
        return _sqlite_insert(seconds=seconds)
    import psycopg

    scratch = system.own_database_url(url, label=f"bench_ceiling_{uuid.uuid4().hex[:8]}")
    system.recreate_postgres_database(scratch)
    try:
        with psycopg.connect(scratch, autocommit=True) as connection:
            connection.execute("CREATE TABLE ceiling (id bigserial PRIMARY KEY, body text NOT NULL)")
        pgbench = shutil.which("pgbench")
        if pgbench:
            script = CEILING_VAR / "insert.sql"
            script.parent.mkdir(parents=True, exist_ok=True)
            script.write_text(
                "INSERT INTO ceiling (body) VALUES ('order-like row of some forty characters');\n"
            )
            command = [pgbench, "-n", "-c", "4", "-j", "2", "-T", str(seconds), "-f", str(script), scratch]
            result = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
            tps = latency = None
            for line in result.stdout.splitlines():
                if line.startswith("tps ="):
                    tps = float(line.split()[2])
                if line.startswith("latency average ="):
                    latency = float(line.split()[3])
            if tps is None:
                raise RuntimeError(f"pgbench failed: {result.stderr.strip()}")
            how = "PostgreSQL, pgbench -c 4 -j 2, one INSERT per transaction (fsync as configured)"
            return _figure(tps, "inserts/s", how, avg_ms=latency)
        with psycopg.connect(scratch, autocommit=True) as connection:
            rate = _loop_rate(
                lambda: connection.execute("INSERT INTO ceiling (body) VALUES ('order-like row')"), seconds
            )
        return _figure(
            rate, "inserts/s", "PostgreSQL, psycopg loop, one connection, autocommit (pgbench not installed)"
        )
    finally:
        system.recreate_postgres_database(scratch, create=False)


def _sqlite_insert(*, seconds: float) -> dict:
    path = CEILING_VAR / "ceiling.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)
    for leftover in path.parent.glob("ceiling.sqlite3*"):
        leftover.unlink()
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE ceiling (id integer PRIMARY KEY, body text NOT NULL)")

        def insert() -> None:
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("INSERT INTO ceiling (body) VALUES ('order-like row')")
            connection.execute("COMMIT")

        rate = _loop_rate(insert, seconds)
    finally:
        connection.close()
        for leftover in path.parent.glob("ceiling.sqlite3*"):
            leftover.unlink()
    return _figure(
        rate, "inserts/s", "SQLite (the embedded default), sqlite3 loop, one transaction per INSERT"
    )


def _produce(bootstrap: str, topic: str, count: int) -> float:
    """Send `count` messages as the relay does (idempotent, acks=all); return messages/s."""
    from confluent_kafka import Producer

    settings = {"enable.idempotence": True, "acks": "all", "linger.ms": 2, "message.timeout.ms": 30000}
    producer = Producer({"bootstrap.servers": bootstrap, **settings})
    payload = b"x" * MESSAGE_BYTES
    started = time.perf_counter()
    for index in range(count):
        while True:
            try:
                producer.produce(topic, payload, key=str(index % 1000).encode())
                break
            except BufferError:
                producer.poll(0.01)
        producer.poll(0)
    if producer.flush(60) != 0:
        raise RuntimeError("broker ceiling: messages left unsent")
    return count / (time.perf_counter() - started)


def _consume(bootstrap: str, topic: str, group: str, count: int) -> tuple[float, int]:
    """Read the topic from the start in a new group; return messages/s (from the assignment on), count."""
    from confluent_kafka import Consumer

    tansu = os.environ.get("COMMERCEX_KAFKA_PROFILE", "tansu") == "tansu"
    session, heartbeat = (2000, 400) if tansu else (10000, 3000)
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": group,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "session.timeout.ms": session,
            "heartbeat.interval.ms": heartbeat,
            "fetch.wait.max.ms": 50,
        }
    )
    assigned_at: list[float] = []
    consumer.subscribe(
        [topic], on_assign=lambda _consumer, _partitions: assigned_at.append(time.perf_counter())
    )
    seen, deadline = 0, time.monotonic() + 120
    while seen < count and time.monotonic() < deadline:
        messages = consumer.consume(num_messages=10_000, timeout=0.5)
        seen += sum(message.error() is None for message in messages)
    consumed = seen / (time.perf_counter() - assigned_at[0]) if assigned_at else 0.0
    consumer.close()
    return consumed, seen


def broker_messages(bootstrap: str, *, quick: bool) -> dict:
    """Produce then consume 200-byte messages on a scratch topic; return both rates."""
    from confluent_kafka.admin import AdminClient, NewTopic

    count = 50_000 if quick else 200_000
    topic = f"bench-ceiling-{uuid.uuid4().hex[:8]}"
    group = f"{topic}-group"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, num_partitions=6, replication_factor=1)])[topic].result(30)
    try:
        produced = _produce(bootstrap, topic, count)
        consumed, seen = _consume(bootstrap, topic, group, count)
    finally:
        with contextlib.suppress(Exception):
            admin.delete_topics([topic])[topic].result(10)
        with contextlib.suppress(Exception):
            admin.delete_consumer_groups([group])[group].result(10)
    produce = f"confluent-kafka, {count} x {MESSAGE_BYTES} B, idempotent, acks=all, 6 partitions"
    consume = f"confluent-kafka consumer, {seen} of {count} messages, from the group assignment on"
    return {
        "broker_produce": _figure(produced, "msg/s", produce),
        "broker_consume": _figure(consumed, "msg/s", consume),
    }


def measure_all(*, quick: bool, redis_url: str, bootstrap: str, say) -> dict:
    """Measure every ceiling one after the other; a ceiling that fails is reported, not fatal."""
    seconds = 5 if quick else 15
    results: dict = {}

    def attempt(name: str, function, *, several: bool = False) -> None:
        say(f"ceiling: {name} ...")
        try:
            found = function()
        except Exception as error:  # noqa: BLE001 - a missing tool must not stop the benchmark
            say(f"ceiling {name} failed: {error}")
            found, several = _figure(None, "", f"failed: {error}"), False
        results.update(found if several else {name: found})

    def http() -> dict:
        with HttpCeilings() as servers:
            return servers.measure(seconds=seconds)

    attempt("http", http, several=True)
    attempt("redis_get", lambda: redis_get(redis_url, quick=quick))
    attempt("db_insert", lambda: database_insert(quick=quick))
    attempt("broker", lambda: broker_messages(bootstrap, quick=quick), several=True)
    return results


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown"
