"""Print events/s from outbox commit to handler completion, and the commit-to-handled latency.

The real pipeline, each part in its own process as in production: this process records
events with `publish()` (one per transaction by default, as a request would) and notes each
commit time; `manage.py relay` (the stand-in service of common's tests) sends them; a
consumer process runs `common.events.consumer.EventConsumer` with a trivial handler and
notes when each event's batch committed (inbox row + handler + offsets). Throughput is
events / (last handled - first committed); latency is handled - committed per event.

Usage: .venv/bin/python bench/events_throughput.py [--events 5000] [--per-tx 1] [--rate 0]
       [--backlog]  (record everything first, then measure how fast relay + consumer drain it)
Needs PostgreSQL: a fresh database commercex_bench_events_<random> on BENCH_POSTGRES_URL
(default postgres://postgres@127.0.0.1:5432), dropped at the end, or --database-url (kept).
Uses KAFKA_BOOTSTRAP_SERVERS, or starts its own Tansu on a free port. Figures only.
"""

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "common" / "tests"
sys.path[:0] = [str(ROOT), str(TESTS)]

from stack import broker, procs  # noqa: E402
from stack.system import own_database_url, recreate_postgres_database  # noqa: E402

DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432"


def consumer_role(expected: int) -> None:
    """Consume with a trivial handler; print one JSON line {event_id: handled_at} when done."""
    import django

    django.setup()
    from common.events.consumer import EventConsumer

    pending: list[str] = []
    handled: dict[str, float] = {}
    consumer = EventConsumer({"widget-counted": lambda event: pending.append(event.id)})
    consumer.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print("ready", flush=True)
    while len(handled) < expected and not stop.is_set():
        consumer.poll_once(0.2)
        now = time.time()  # after the batch's transaction and offset commit
        for event_id in pending:
            handled[event_id] = now
        pending.clear()
    consumer.close()
    print(json.dumps(handled), flush=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--per-tx", type=int, default=1, help="events recorded per transaction")
    parser.add_argument("--rate", type=float, default=0, help="transactions/s to aim at (0: at once)")
    backlog = "record every event first, then start the relay: the pipeline's capacity, no latency"
    parser.add_argument("--backlog", action="store_true", help=backlog)
    parser.add_argument("--database-url", help="an existing database to use (default: a fresh one)")
    parser.add_argument("--role", default="main", help=argparse.SUPPRESS)
    parser.add_argument("--expected", type=int, default=0, help=argparse.SUPPRESS)
    return parser.parse_args()


def record(args, transaction, publish) -> tuple[dict[str, float], float, float]:
    """Publish the events (per_tx per transaction, at `rate`); return commit times, start and end."""
    committed: dict[str, float] = {}
    began = time.time()
    for index in range(-(-args.events // args.per_tx)):
        if args.rate and (delay := began + index / args.rate - time.time()) > 0:
            time.sleep(delay)
        with transaction.atomic():
            numbers = range(index * args.per_tx, min(args.events, (index + 1) * args.per_tx))
            data = {"name": "bench", "amount": 1}
            rows = [publish(event_type="widget-counted", key=f"k{n % 64}", data=data) for n in numbers]
        committed.update(dict.fromkeys((str(row.event_id) for row in rows), time.time()))
    return committed, began, time.time()


def report(args, committed: dict, handled: dict, began: float, published: float, relay_started: float):
    latencies = sorted(handled[e] - committed[e] for e in committed if e in handled)
    if len(latencies) < len(committed):
        print(f"only {len(latencies)} of {len(committed)} events handled")
        return
    last = max(handled.values())
    print(f"events:                {args.events} ({args.per_tx} per transaction)")
    print(f"recorded (publish):    {args.events / (published - began):8.0f} events/s")
    if args.backlog:
        drained = args.events / (last - relay_started)
        print(f"relay start -> handled:{drained:8.0f} events/s (a backlog drained)")
        return
    print(f"commit -> handled:     {args.events / (last - min(committed.values())):8.0f} events/s end to end")
    print(f"latency median:        {statistics.median(latencies) * 1000:8.1f} ms")
    p95, worst = latencies[int(len(latencies) * 0.95) - 1] * 1000, latencies[-1] * 1000
    print(f"latency p95 / max:     {p95:8.1f} ms / {worst:.1f} ms")


def run(args, env: dict, work: Path, started: list) -> None:
    """Migrate, start the consumer (and the relay), record, and report; `started` collects processes."""
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    from common.events import publish
    from common.events.models import InboxEvent, OutboxEvent

    call_command("migrate", verbosity=0)
    OutboxEvent.objects.all().delete()
    InboxEvent.objects.all().delete()
    command = [sys.executable, __file__, "--role", "consumer", "--expected", str(args.events)]
    log = open(work / "consumer.log", "wb")  # noqa: SIM115 (the consumer's stderr while it runs)
    consumer = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=log, text=True)
    started.append(consumer)
    if consumer.stdout.readline().strip() != "ready":
        raise RuntimeError(f"consumer failed: see {work}/consumer.log")
    relay = [sys.executable, "-m", "django", "relay"]
    if not args.backlog:
        started.append(procs.start(relay, log=work / "relay.log", env=env, cwd=TESTS))
        time.sleep(1.0)
    committed, began, published = record(args, transaction, publish)
    relay_started = time.time()
    if args.backlog:  # its start-up (Django, topics) counts against it
        started.append(procs.start(relay, log=work / "relay.log", env=env, cwd=TESTS))
    handled = json.loads(consumer.stdout.readline() or "{}")
    consumer.wait(30)
    report(args, committed, handled, began, published, relay_started)


def main() -> None:
    args = parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "testsvc.settings")
    if args.role == "consumer":
        consumer_role(args.expected)
        return
    work = Path(tempfile.mkdtemp(prefix="bench-events-"))
    server = os.environ.get("BENCH_POSTGRES_URL", DEFAULT_SERVER)
    label = f"bench_events_{uuid.uuid4().hex[:8]}"
    fresh = None if args.database_url else own_database_url(server, label=label)
    if fresh:
        recreate_postgres_database(fresh)
    env = {**os.environ, "TESTSVC_DATABASE_URL": args.database_url or fresh, "LOG_LEVEL": "WARNING"}
    env.update(PYTHONPATH=os.pathsep.join([str(TESTS), env.get("PYTHONPATH", "")]))
    env.update(KAFKA_TOPIC_PREFIX=f"bench{label[-8:]}.", KAFKA_GROUP_ID=f"bench-{uuid.uuid4().hex[:8]}")
    started: list[subprocess.Popen] = []
    tansu = None
    try:
        if not env.get("KAFKA_BOOTSTRAP_SERVERS"):
            port = procs.free_port()
            tansu = broker.start_tansu(port=port, log=work / "tansu.log")
            env.update(KAFKA_BOOTSTRAP_SERVERS=f"127.0.0.1:{port}", COMMERCEX_KAFKA_PROFILE="tansu")
        run(args, env, work, started)
    finally:
        for process in started:
            procs.stop(process)
        if tansu is not None:
            broker.stop_tansu(tansu)
        if "django.db" in sys.modules:
            from django.db import connections

            connections.close_all()
        if fresh:
            recreate_postgres_database(fresh, create=False)


if __name__ == "__main__":
    main()
