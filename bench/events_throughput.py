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
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "common" / "tests"
sys.path[:0] = [str(ROOT), str(TESTS)]

from stack import broker, procs  # noqa: E402

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
    stop = False

    def on_term(*_):
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_term)
    print("ready", flush=True)
    while len(handled) < expected and not stop:
        consumer.poll_once(0.2)
        now = time.time()  # after the batch's transaction and offset commit
        for event_id in pending:
            handled[event_id] = now
        pending.clear()
    consumer.close()
    print(json.dumps(handled), flush=True)


def create_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--per-tx", type=int, default=1, help="events recorded per transaction")
    parser.add_argument(
        "--rate", type=float, default=0, help="transactions/s to aim at (0: as fast as possible)"
    )
    parser.add_argument(
        "--backlog",
        action="store_true",
        help="record every event first, then start the relay: the pipeline's capacity, no latency",
    )
    parser.add_argument("--database-url", help="an existing database to use (default: a fresh one)")
    parser.add_argument("--role", default="main", help=argparse.SUPPRESS)
    parser.add_argument("--expected", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "testsvc.settings")
    if args.role == "consumer":
        consumer_role(args.expected)
        return

    work = Path(tempfile.mkdtemp(prefix="bench-events-"))
    tansu = relay = consumer = None
    server = os.environ.get("BENCH_POSTGRES_URL", DEFAULT_SERVER)
    created_db = not args.database_url
    args.database_url = args.database_url or f"{server}/commercex_bench_events_{uuid.uuid4().hex[:8]}"
    if created_db:
        create_database(args.database_url)
    env = dict(os.environ)
    env.update(
        TESTSVC_DATABASE_URL=args.database_url,
        PYTHONPATH=os.pathsep.join([str(TESTS), env.get("PYTHONPATH", "")]),
        KAFKA_TOPIC_PREFIX=f"bench{uuid.uuid4().hex[:8]}.",
        KAFKA_GROUP_ID=f"bench-{uuid.uuid4().hex[:8]}",
        LOG_LEVEL="WARNING",
    )
    try:
        if not env.get("KAFKA_BOOTSTRAP_SERVERS"):
            port = procs.free_port()
            tansu = broker.start_tansu(port=port, log=work / "tansu.log")
            env["KAFKA_BOOTSTRAP_SERVERS"] = f"127.0.0.1:{port}"
            env.setdefault("COMMERCEX_KAFKA_PROFILE", "tansu")
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

        consumer = subprocess.Popen(
            [sys.executable, __file__, "--role", "consumer", "--expected", str(args.events)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=open(work / "consumer.log", "wb"),  # noqa: SIM115
            text=True,
        )
        assert consumer.stdout.readline().strip() == "ready", f"consumer failed: see {work}/consumer.log"

        def start_relay():
            return procs.start(
                [sys.executable, "-m", "django", "relay"], log=work / "relay.log", env=env, cwd=TESTS
            )

        if not args.backlog:
            relay = start_relay()
            time.sleep(1.0)

        committed: dict[str, float] = {}
        transactions = -(-args.events // args.per_tx)
        began = time.time()
        for index in range(transactions):
            if args.rate:
                delay = began + index / args.rate - time.time()
                if delay > 0:
                    time.sleep(delay)
            with transaction.atomic():
                rows = [
                    publish(
                        event_type="widget-counted", key=f"k{n % 64}", data={"name": "bench", "amount": 1}
                    )
                    for n in range(index * args.per_tx, min(args.events, (index + 1) * args.per_tx))
                ]
            now = time.time()
            for row in rows:
                committed[str(row.event_id)] = now
        published = time.time()
        if args.backlog:
            relay = start_relay()  # its start-up (Django, topics) counts against it
            first = time.time()

        handled = json.loads(consumer.stdout.readline() or "{}")
        consumer.wait(30)
        latencies = sorted(
            handled[event_id] - committed[event_id] for event_id in committed if event_id in handled
        )
        if len(latencies) < len(committed):
            print(f"only {len(latencies)} of {len(committed)} events handled; see {work}")
            return
        last = max(handled.values())
        print(f"events:                {args.events} ({args.per_tx} per transaction)")
        print(f"recorded (publish):    {args.events / (published - began):8.0f} events/s")
        if args.backlog:
            print(f"relay start -> handled:{args.events / (last - first):8.0f} events/s (a backlog drained)")
            return
        first = min(committed.values())
        print(f"commit -> handled:     {args.events / (last - first):8.0f} events/s end to end")
        print(f"latency median:        {statistics.median(latencies) * 1000:8.1f} ms")
        print(
            f"latency p95 / max:     {latencies[int(len(latencies) * 0.95) - 1] * 1000:8.1f} ms / "
            f"{latencies[-1] * 1000:.1f} ms"
        )
    finally:
        for process in (consumer, relay):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(10)
        if tansu is not None:
            broker.stop_tansu(tansu)
        if "django.db" in sys.modules:
            from django.db import connections

            connections.close_all()
        if created_db:
            drop_database(args.database_url)


if __name__ == "__main__":
    main()
