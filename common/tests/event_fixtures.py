"""Helpers shared by common's event tests: the real broker (Tansu), topics, consumers, processes.

Each test gets its own topic prefix and consumer group, so suites running in parallel on the
same broker never see each other's messages.
"""

import contextlib
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
from django.conf import settings
from django.db import connection, transaction

from common.events import config, publish
from common.events.consumer import EventConsumer
from common.events.messages import encode
from common.events.models import OutboxEvent
from common.events.relay import Relay
from common.events.topics import ensure_topics
from testsvc.handlers import HANDLERS

TESTS_DIR = Path(__file__).resolve().parent
REPO_ROOT = TESTS_DIR.parents[1]
WIDGET_COUNTED = "widget-counted"

needs_postgres = pytest.mark.skipif(
    not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
    reason="needs PostgreSQL: a consumer subprocess must share the test database",
)


@pytest.fixture
def kafka(monkeypatch):
    """Give the test its own topic prefix and group id (through the environment, as in production)."""
    if not os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        pytest.skip("needs a broker: run through `manage_all.py test`, which starts Tansu")
    prefix = f"t{uuid.uuid4().hex[:12]}."
    monkeypatch.setenv("KAFKA_TOPIC_PREFIX", prefix)
    monkeypatch.setenv("KAFKA_GROUP_ID", f"{prefix}group")
    monkeypatch.setenv("COMMERCEX_KAFKA_PROFILE", os.environ.get("COMMERCEX_KAFKA_PROFILE", "tansu"))
    return SimpleNamespace(prefix=prefix, group=f"{prefix}group", topic=config.topic_for(WIDGET_COUNTED))


@pytest.fixture
def consumer(kafka):
    """The stand-in service's event worker, driven by the test: each poll_once also relays.

    Dead letters leave through the outbox like every other event, so the relay's turn is
    part of the step, as it is in `manage.py work`.
    """
    instance = EventConsumer(HANDLERS)
    relay = Relay()
    instance.start()
    consume = instance.poll_once

    def poll_once(timeout: float = 0.5) -> int:
        count = consume(timeout)
        relay.run_once()
        return count

    instance.poll_once = poll_once
    yield instance
    instance.close()
    relay.close()


def publish_widget(name: str, amount: int = 1, *, key: str | None = None, **extra) -> OutboxEvent:
    with transaction.atomic():
        return publish(
            event_type=WIDGET_COUNTED, key=key or name, data={"name": name, "amount": amount, **extra}
        )


def wait_for(predicate, *, timeout: float = 20.0, step=None, interval: float = 0.02):
    """Call `step()` (if any) until `predicate()` is truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        if step is not None:
            step()
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        if step is None:
            time.sleep(interval)


def read_topic(topic: str, *, count: int, timeout: float = 20.0, linger: float = 0.5, bootstrap=None) -> list:
    """Read `topic` from the beginning of every partition until `count` messages (plus `linger` s
    more, to catch extras); return them. Uses assign(), so no group join is involved."""
    reader = Consumer(
        {
            "bootstrap.servers": bootstrap or config.bootstrap_servers(),
            "group.id": f"reader-{uuid.uuid4().hex}",
            "enable.auto.commit": False,
            "fetch.wait.max.ms": 50,
        }
    )
    try:
        metadata = reader.list_topics(topic, timeout=10).topics[topic]
        reader.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in metadata.partitions])
        messages, deadline, extra_until = [], time.monotonic() + timeout, None
        while time.monotonic() < deadline:
            message = reader.poll(0.1)
            if message is not None and message.error() is None:
                messages.append(message)
            if len(messages) >= count:
                extra_until = extra_until or time.monotonic() + linger
                if time.monotonic() >= extra_until:
                    break
        return messages
    finally:
        reader.close()


def produce_raw(topic: str, *, value: bytes | None, key: bytes | None = None, headers=None) -> None:
    produce_many(topic, [(value, key, headers or [])])


def produce_many(topic: str, messages: list[tuple]) -> None:
    """Produce (value, key, headers) tuples in order with one producer; wait for every ack."""
    producer = Producer({"bootstrap.servers": config.bootstrap_servers(), "enable.idempotence": True})
    for value, key, headers in messages:
        producer.produce(topic, value=value, key=key, headers=headers)
    assert producer.flush(10) == 0


def event_message(data: dict, *, key: str = "k", event_id: str | None = None, correlation_id="") -> tuple:
    """Build a well-formed widget-counted message: (value, key, headers), and its ce_id."""
    from django.utils import timezone

    event_id = event_id or str(uuid.uuid4())
    message = encode(
        event_id=event_id,
        event_type=WIDGET_COUNTED,
        service="tests",
        time=timezone.now(),
        key=key,
        data=data,
        correlation_id=correlation_id,
    )
    return (message.value, key.encode(), list(message.headers.items())), event_id


def produce_event(
    topic: str, data: dict, *, key: str = "k", event_id: str | None = None, correlation_id=""
) -> str:
    """Produce a well-formed widget-counted message straight to the broker; return its ce_id."""
    message, event_id = event_message(data, key=key, event_id=event_id, correlation_id=correlation_id)
    produce_many(topic, [message])
    return event_id


def create_topic(topic: str) -> None:
    ensure_topics([topic, config.dlq_topic_for(topic)])


def headers_of(message) -> dict:
    return {name: (value or b"").decode() for name, value in (message.headers() or [])}


def payload_of(message) -> dict:
    return json.loads(message.value())


def command_env(**extra) -> dict:
    """Environment for a `manage.py` subprocess of the stand-in service, on the test database."""
    db = connection.settings_dict
    url = f"postgres://{db['USER']}"
    if db.get("PASSWORD"):
        url += f":{db['PASSWORD']}"
    url += f"@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = dict(os.environ)
    env.update(
        PYTHONPATH=os.pathsep.join([str(TESTS_DIR), env.get("PYTHONPATH", "")]),
        DJANGO_SETTINGS_MODULE="testsvc.settings",
        TESTSVC_DATABASE_URL=url,
        PYTHONUNBUFFERED="1",
        **{name: str(value) for name, value in extra.items()},
    )
    return env


def start_command(args: list[str], log: Path, **env) -> subprocess.Popen:
    """Start `python -m django <args>` for the stand-in service, output (JSON log lines) to `log`."""
    out = open(log, "ab")  # noqa: SIM115 - closed with the process by the caller's stop_process
    process = subprocess.Popen(
        [sys.executable, "-m", "django", *args],
        env=command_env(**env),
        cwd=TESTS_DIR,
        stdout=out,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    process.log_file = out
    return process


def stop_process(process: subprocess.Popen, sig=None) -> int:
    import signal

    if process.poll() is None:
        process.send_signal(sig or signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
    process.log_file.close()
    return process.returncode


def log_lines(log: Path) -> list[dict]:
    """Return the JSON lines of a process log (other lines, e.g. librdkafka's, are skipped)."""
    lines = []
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            with contextlib.suppress(ValueError):
                lines.append(json.loads(line))
    return lines


class Broker:
    """A Tansu of the test's own on a fixed port, which the test may stop and start again."""

    def __init__(self, port: int, log: Path) -> None:
        self.port, self.log, self.process = port, log, None

    def start(self) -> None:
        from stack.broker import start_tansu

        self.process = start_tansu(port=self.port, log=self.log)

    def stop(self) -> None:
        from stack.broker import stop_tansu

        if self.process is not None:
            stop_tansu(self.process)
            self.process = None


@contextlib.contextmanager
def own_broker(monkeypatch, tmp_path):
    """Start a private Tansu on a free port and point KAFKA_BOOTSTRAP_SERVERS at it."""
    if str(REPO_ROOT) not in sys.path:
        sys.path.append(str(REPO_ROOT))  # stack/ (the repository's tooling) starts Tansu
    from stack.procs import free_port

    broker = Broker(free_port(), tmp_path / "tansu.log")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{broker.port}")
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()
