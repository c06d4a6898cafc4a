"""Send outbox rows to Kafka: in id order, marked sent only after the broker acknowledged them.

One relay per service database does the sending (a PostgreSQL advisory lock elects it;
others stand by). While idle it waits for a NOTIFY from the outbox trigger (which notifies
only while the relay waits, see migrations 0003-0004), with a 0.2 s poll as fallback; SQLite
is polled. A batch that is not fully acknowledged is sent again with a fresh producer after
a backoff: an idempotent producer created before a broker restart never recovers, and a
restarted Tansu has lost its topics too."""

import contextlib
import logging
import threading
import time
from datetime import timedelta
from functools import partial

import psycopg
from confluent_kafka import KafkaException, Producer
from confluent_kafka.admin import AdminClient
from django.db import InterfaceError, OperationalError, close_old_connections, connection
from django.utils import timezone

from common.backoff import backoff_seconds
from common.events import config, hooks
from common.events.inbox import inbox_purge
from common.events.messages import KafkaMessage, encode
from common.events.models import OutboxEvent
from common.events.outbox_sql import PendingRow, mark_sent, pending_rows
from common.events.schemas import event_types
from common.events.topics import ensure_topics

logger = logging.getLogger(__name__)

NOTIFY_CHANNEL = "events_outbox"
RAISE_FLAG = (
    "INSERT INTO events_relay_waiting (id, waiting) VALUES (1, true) "
    "ON CONFLICT (id) DO UPDATE SET waiting = true"
)
LOWER_FLAG = "UPDATE events_relay_waiting SET waiting = false WHERE id = 1"
ANY_PENDING = "SELECT 1 FROM events_outboxevent WHERE sent_at IS NULL LIMIT 1"
LEADER_LOCK_KEY = "commercex-events-relay"
PURGE_EVERY_SECONDS = 600


def marker_topic(service: str, prefix: str) -> str:
    """Name the topic only this service's relay creates: its absence means the broker lost its data."""
    return f"{prefix}_relay-marker.{service}"


class DeliveryFailed(Exception):
    """Some messages of a batch were not acknowledged; they stay unsent."""


class OutboxListener:
    """Wait for the outbox trigger's NOTIFY on a dedicated connection, which also holds the leader lock."""

    def __init__(self) -> None:
        self.conn = None
        self.leader = False
        self.failures = 0
        self.next_attempt = 0.0

    def _connect(self):
        params = connection.get_connection_params()
        params.pop("cursor_factory", None)
        params.pop("context", None)
        params.pop("prepare_threshold", None)
        conn = psycopg.connect(**params, autocommit=True)
        # The waiting flag needs no durability (after a crash the relay raises it again), so
        # its two writes per wait need not wait for the WAL flush.
        conn.execute("SET synchronous_commit = off")
        conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
        return conn

    def is_leader(self) -> bool:
        """Hold the relay lock of this database (taken once per connection); False if another has it."""
        try:
            if self.conn is None or self.conn.closed:
                if time.monotonic() < self.next_attempt:
                    return False
                self.conn = self._connect()
                self.leader = False
            if not self.leader:
                row = self.conn.execute(
                    "SELECT pg_try_advisory_lock(hashtext(%s))", [LEADER_LOCK_KEY]
                ).fetchone()
                self.leader = bool(row[0])
            self.failures = 0
            return self.leader
        except psycopg.Error as exc:
            self._failed(exc)
            return False

    def _failed(self, exc: Exception) -> None:
        """Drop the connection and try again later (backing off up to 5 s)."""
        self.failures += 1
        self.next_attempt = time.monotonic() + backoff_seconds(self.failures, base=0.2)
        if self.failures == 1 or self.failures % 20 == 0:
            logger.warning(
                "relay: database connection for leadership and wake-ups failed",
                extra={"error": str(exc).strip()[:300], "failures": self.failures},
            )
        self.close()

    def wait(self, poll: float, stopping: threading.Event, longest: float = 30.0) -> None:
        """Return when the outbox has unsent rows (NOTIFY, or seen by a poll every `poll` s).

        While it waits, the relay keeps up the flag that makes the outbox trigger NOTIFY (see
        migrations 0003-0004); each poll is one indexed query. Returns after `longest` s anyway,
        for the relay's housekeeping.
        """
        if self.conn is None or not self.leader:
            stopping.wait(poll)
            return
        deadline = time.monotonic() + longest
        try:
            self.conn.execute(RAISE_FLAG)
            try:
                while not stopping.is_set() and time.monotonic() < deadline:
                    # Also covers rows committed before the flag was up (they did not notify).
                    if self.conn.execute(ANY_PENDING).fetchone() is not None:
                        break
                    if any(True for _ in self.conn.notifies(timeout=poll, stop_after=1)):
                        break
            finally:
                self.conn.execute(LOWER_FLAG)
            for _ in self.conn.notifies(timeout=0.001):
                pass  # drained: the fetch that follows covers the commits they announced
        except psycopg.Error as exc:
            self._failed(exc)
            stopping.wait(min(poll, 1.0))

    def close(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(psycopg.Error, OSError):
                self.conn.close()
        self.conn = None
        self.leader = False


class Relay:
    """Move outbox rows to the broker until stopped."""

    def __init__(self, *, prefix: str | None = None, batch_size: int | None = None) -> None:
        self.prefix = config.topic_prefix() if prefix is None else prefix
        self.batch_size = batch_size or config.relay_batch_size()
        self.service = config.service_name()
        self.producer: Producer | None = None
        self.ensured_topics: set[str] = set()
        self.failures = 0
        self.idle_rounds = 0
        self.stopping = threading.Event()
        self.listener = OutboxListener() if connection.vendor == "postgresql" else None
        self._next_purge = 0.0
        self._next_broker_check = 0.0
        self.admin: AdminClient | None = None
        self.marker = marker_topic(self.service, self.prefix)
        # Every message is acknowledged or failed by then (message.timeout.ms bounds it).
        self.flush_timeout = int(config.producer_config().get("message.timeout.ms", 300000)) / 1000 + 5

    # -- sending -----------------------------------------------------------------------------

    def _producer(self) -> Producer:
        if self.producer is None:
            self.producer = Producer({**config.producer_config("relay"), "allow.auto.create.topics": False})
        return self.producer

    def _recreate_producer(self) -> None:
        """Drop the producer (and what it still holds); the next batch gets a fresh one."""
        if self.producer is not None:
            try:
                self.producer.purge()
                self.producer.flush(0)
            except Exception:
                logger.debug("purging the old producer failed", exc_info=True)
        self.producer = None
        self.ensured_topics.clear()

    def ensure_topics(self, topics) -> None:
        missing = set(topics) - self.ensured_topics
        if missing:
            ensure_topics(missing)
            self.ensured_topics |= missing

    def send_pending(self) -> int:
        """Send one batch of unsent rows and mark the acknowledged ones; return how many were sent."""
        rows = pending_rows(self.batch_size)
        if not rows:
            return 0
        self.ensure_topics({config.topic_for(row.topic, self.prefix) for row in rows})
        producer = self._producer()
        delivered: list[int] = []
        errors: list[str] = []

        def on_delivery(row_id, err, _msg):
            if err is None:
                delivered.append(row_id)
            else:
                errors.append(str(err))

        sent_at = time.monotonic()
        for row in rows:
            message = self._message(row)
            producer.produce(
                config.topic_for(row.topic, self.prefix),
                value=message.value,
                key=message.key,
                headers=list(message.headers.items()),
                on_delivery=partial(on_delivery, row.id),
            )
        remaining = producer.flush(self.flush_timeout)
        if delivered:
            mark_sent(delivered)
            hooks.count("relay_send_latency", time.monotonic() - sent_at)
            self._count_published(rows, set(delivered))
        if errors or remaining:
            raise DeliveryFailed(
                f"{len(rows) - len(delivered)} of {len(rows)} events not acknowledged: "
                f"{errors[0] if errors else 'flush timed out'}"
            )
        return len(delivered)

    def _message(self, row: PendingRow) -> KafkaMessage:
        """Encode a row; a dead letter keeps its original id and attributes (its headers)."""
        if row.raw_value is not None:  # a dead letter of a message that was never an event
            headers = {name: value.encode() for name, value in row.headers.items()}
            return KafkaMessage(headers=headers, key=row.key.encode(), value=bytes(row.raw_value))
        extra = dict(row.headers)
        message = encode(
            event_id=extra.pop("ce_id", "") or row.event_id,
            event_type=row.event_type,
            service=self.service,
            time=row.created_at,
            key=row.key,
            data=row.payload,
            correlation_id=row.correlation_id,
            extra_headers=extra,
        )
        return message

    @staticmethod
    def _count_published(rows, delivered: set[int]) -> None:
        counts: dict[str, int] = {}
        for row in rows:
            if row.id in delivered:
                counts[row.topic] = counts.get(row.topic, 0) + 1
        for topic, n in counts.items():
            hooks.count("events_published", topic, n)

    # -- broker loss ------------------------------------------------------------------------

    def check_broker(self, *, force: bool = False) -> int:
        """Re-send every retained event if the broker lost its data; return how many rows were rewound.

        A memory-only broker (Tansu) that restarts loses acknowledged messages no consumer
        had read yet, however far behind it was. The relay keeps a marker topic that nobody
        else creates; when it is gone, every sent row still in the outbox (retention:
        EVENTS_OUTBOX_RETENTION_HOURS) is marked unsent FIRST and only then is the marker
        written, so a crash in between re-sends again rather than losing anything. The rows
        go out in their original order and the consumers' inboxes (kept longer than the
        outbox, see common.events.inbox) skip what they already applied. Real Kafka never
        loses the marker, so this costs one metadata request.
        """
        now = time.monotonic()
        if not force and now < self._next_broker_check:
            return 0
        self._next_broker_check = now + config.relay_broker_check_seconds()
        if self.admin is None:
            self.admin = AdminClient(config.admin_config())
        if self.marker in self.admin.list_topics(timeout=10).topics:
            return 0
        rewound = OutboxEvent.objects.filter(sent_at__isnull=False).update(sent_at=None)
        ensure_topics([self.marker], admin=self.admin, partitions=1)
        self.ensured_topics.clear()
        if rewound:
            logger.warning(
                "relay: the broker lost its data; re-sending every retained event", extra={"rows": rewound}
            )
        return rewound

    # -- housekeeping ------------------------------------------------------------------------

    def purge_sent(self) -> int:
        """Delete rows sent longer ago than the retention period."""
        cutoff = timezone.now() - timedelta(hours=config.outbox_retention_hours())
        deleted, _ = OutboxEvent.objects.filter(sent_at__lt=cutoff).delete()
        if deleted:
            logger.info("sent outbox rows purged", extra={"deleted": deleted})
        return deleted

    def _maybe_purge(self) -> None:
        if time.monotonic() >= self._next_purge:
            self._next_purge = time.monotonic() + PURGE_EVERY_SECONDS
            self.purge_sent()
            inbox_purge()

    # -- the loop ----------------------------------------------------------------------------

    def _backoff(self) -> None:
        self.failures += 1
        self.stopping.wait(backoff_seconds(self.failures))

    def _wait(self) -> None:
        listening = self.listener is not None and self.listener.conn is not None
        timeout = config.relay_poll_seconds(listening=listening)
        if self.listener is not None:
            # Wake at least as often as the broker-loss check is due.
            self.listener.wait(timeout, self.stopping, longest=config.relay_broker_check_seconds())
        else:
            # Polled (SQLite): quick while events flow, slower the longer the outbox stays empty.
            longest = max(timeout, config.relay_idle_poll_seconds())
            self.stopping.wait(min(longest, timeout * 2 ** min(self.idle_rounds, 8)))
            self.idle_rounds += 1

    def run_once(self) -> int:
        """Send what is pending (one batch), handling failures; return how many were sent."""
        try:
            if self.listener is not None and not self.listener.is_leader():
                return 0
            self.check_broker(force=bool(self.failures))
            sent = self.send_pending()
            if self.failures:
                logger.info("relay recovered", extra={"after_failures": self.failures})
            self.failures = 0
            self._maybe_purge()
            return sent
        except (DeliveryFailed, KafkaException) as exc:
            logger.warning("relay: broker unavailable, will retry", extra={"error": str(exc)})
            self._recreate_producer()
            self._backoff()
        except (OperationalError, InterfaceError) as exc:
            logger.warning("relay: database unavailable, will retry", extra={"error": str(exc)})
            close_old_connections()
            connection.close()
            self._backoff()
        return 0

    def run(self) -> None:
        """Relay until `stop()`; every service runs this as `manage.py relay`."""
        logger.info("relay started", extra={"prefix": self.prefix, "listen": self.listener is not None})
        initial = {config.topic_for(name, self.prefix) for name in event_types()}
        while not self.stopping.is_set():
            try:
                self.ensure_topics(initial)
                # Warm up: learn every topic's leaders and get a producer id now, so the
                # first event after start leaves as fast as the rest.
                self._producer().list_topics(timeout=10)
                break
            except KafkaException as exc:
                logger.warning("relay: cannot create topics yet", extra={"error": str(exc)})
                self._backoff()
        self.failures = 0
        while not self.stopping.is_set():
            sent = self.run_once()
            if sent:
                self.idle_rounds = 0
            if sent < self.batch_size and not self.stopping.is_set() and not self.failures:
                self._wait()
        self.close()

    def stop(self) -> None:
        self.stopping.set()

    def close(self) -> None:
        if self.producer is not None:
            self.producer.flush(5)
        if self.listener is not None:
            self.listener.close()
        connection.close()  # the relay may run in a thread of its own (tests, bench)
        logger.info("relay stopped")
