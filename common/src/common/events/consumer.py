"""Run a service's consumer group: thin transport around `apply_batch`, the one apply path.

Per batch: decode every message (one that is not an event becomes a dead letter), apply the
events with `apply_batch` (inbox, handlers, outbox, dead letters: one transaction), then
commit the offsets, then run the service's outside effects. A crash anywhere in between
redelivers the batch, and the inbox turns that into no effect. A database outage or
`RetryLater` is retried with backoff for the whole batch and never dead-letters anything.
"""

import logging
import threading
import time

from confluent_kafka import Consumer, KafkaError, KafkaException
from django.db import IntegrityError, close_old_connections, connection, transaction

from common.backoff import backoff_seconds
from common.events import config, hooks
from common.events.apply import TRANSIENT_ERRORS, Applied, apply_batch, check_handlers, log_applied
from common.events.effects import EffectRunner
from common.events.errors import RetryLater
from common.events.messages import DecodeError, decode_message, header_dict
from common.events.outbox import dead_letter
from common.events.topics import ensure_topics, next_offsets

logger = logging.getLogger(__name__)


class UnexpectedType(DecodeError):
    """An event whose `ce_type` is not the type of the topic it came on."""


class Stopped(Exception):
    """The consumer was asked to stop while waiting out an outage; the batch stays uncommitted."""


class Doze:
    """Fetch less while idle: Tansu answers a fetch only when `fetch.wait.max.ms` expires.

    So an idle consumer costs the local broker ~20 fetches a second (most of an idle
    system's CPU), and a longer wait would add its length to every hop of the saga. After
    `after` seconds without a message the consumer pauses its partitions and looks again
    every `pause` seconds (one fetch); the first message wakes it. The first event after
    a quiet spell waits up to `pause` longer; a busy consumer never dozes. Off (after=0)
    on Kafka, whose fetches return as soon as data arrives.
    """

    def __init__(self, *, after: float, pause: float) -> None:
        self.after, self.pause = after, pause
        self.last_message = time.monotonic()
        self.paused: list = []
        self.wake_at = 0.0

    def woke(self, consumer) -> None:
        """A message arrived: stay awake (resume whatever is paused)."""
        self.last_message = time.monotonic()
        self._resume(consumer)

    def poll_timeout(self, consumer, timeout: float) -> float:
        """Pause or resume the partitions as the idle time says; return how long to poll."""
        if not self.after:
            return timeout
        now = time.monotonic()
        if self.paused:
            if now < self.wake_at:
                return min(timeout, self.wake_at - now)
            self._resume(consumer)  # look once: this poll's fetch
            return timeout
        if now - self.last_message >= self.after and consumer.assignment():
            self.paused = consumer.assignment()
            consumer.pause(self.paused)
            self.wake_at = now + self.pause
            return min(timeout, self.pause)
        return timeout

    def looked(self, consumer) -> None:
        """A poll found nothing: after a look while dozing, pause again."""
        if self.after and not self.paused and time.monotonic() - self.last_message >= self.after:
            self.last_message = time.monotonic() - self.after  # doze again at the next poll

    def _resume(self, consumer) -> None:
        if self.paused:
            consumer.resume(self.paused)
            self.paused = []


class EventConsumer:
    """Consume the topics of `handlers` (event type → function) in the consumer group `group`."""

    def __init__(
        self,
        handlers: dict,
        *,
        group: str | None = None,
        prefix: str | None = None,
        batch_size: int | None = None,
        max_attempts: int | None = None,
        effects: EffectRunner | None = None,
    ) -> None:
        self.handlers = dict(handlers)
        check_handlers(self.handlers)
        self.group = group or config.group_id()
        self.prefix = config.topic_prefix() if prefix is None else prefix
        self.event_type_of = {config.topic_for(t, self.prefix): t for t in self.handlers}
        self.topics = sorted(self.event_type_of)
        self.batch_size = batch_size or config.consumer_batch_size()
        self.max_attempts = max_attempts or config.max_attempts()
        self.effects = effects or EffectRunner([])
        self.stopping = threading.Event()
        self.assigned = threading.Event()
        self.consumer: Consumer | None = None
        self._uncommitted: list = []  # the offsets after the last batch, committed on close too
        self.doze = Doze(after=config.doze_after_seconds(), pause=config.doze_seconds())
        self._next_topic_check = 0.0

    # -- lifecycle ---------------------------------------------------------------------------

    def _wait_out(self, attempt: int) -> None:
        if self.stopping.wait(backoff_seconds(attempt)):
            raise Stopped

    def _ensure_topics(self) -> None:
        ensure_topics([*self.topics, *(config.dlq_topic_for(topic) for topic in self.topics)])

    def start(self) -> None:
        """Create the topics (waiting for the broker) and subscribe."""
        attempt = 0
        while True:
            try:
                self._ensure_topics()
                break
            except KafkaException as exc:
                logger.warning("consumer: cannot create topics yet", extra={"error": str(exc)})
                attempt += 1
                self._wait_out(attempt)
        self._next_topic_check = time.monotonic() + 5
        self.consumer = Consumer(config.consumer_config(self.group))
        self.consumer.subscribe(self.topics, on_assign=self._on_assign, on_revoke=self._on_revoke)
        logger.info("consumer started", extra={"group": self.group, "topics": self.topics})

    def _on_assign(self, _consumer, partitions) -> None:
        logger.info(
            "partitions assigned", extra={"partitions": [f"{p.topic}[{p.partition}]" for p in partitions]}
        )
        self.assigned.set()

    def _on_revoke(self, _consumer, partitions) -> None:
        self._commit(wait=True)  # what this member applied, before another one takes over
        self._uncommitted = []
        logger.info(
            "partitions revoked", extra={"partitions": [f"{p.topic}[{p.partition}]" for p in partitions]}
        )

    def run(self) -> None:
        """Consume until `stop()`: the batch in hand is finished and committed before closing."""
        try:
            if not self.topics:
                logger.info("no event handlers: only effects to run")
                while not self.stopping.wait(self.effects.interval):
                    self.effects.run()
                return
            self.start()
            while not self.stopping.is_set():
                self.poll_once(timeout=config.idle_poll_seconds())
        except Stopped:
            pass
        finally:
            self.close()

    def stop(self) -> None:
        self.stopping.set()

    def close(self) -> None:
        if self.consumer is not None:
            if not self.assigned.is_set():
                self.assigned.wait(5)  # Tansu: closing before the first assignment blocks the group id
            self._commit(wait=True)
            self.consumer.close()
            self.consumer = None
        connection.close()  # the consumer may run in a thread of its own (worker, tests)
        logger.info("consumer stopped", extra={"group": self.group})

    # -- one batch ---------------------------------------------------------------------------

    def poll_once(self, timeout: float = 0.5) -> int:
        """Consume, apply and commit one batch, then run the effects; return how many messages it had."""
        # Block for the first message only (shorter while effects wait), then take what is
        # already fetched: low latency when idle, batches under load.
        wait = min(timeout, self.effects.interval) if self.effects.effects else timeout
        first = self.consumer.poll(self.doze.poll_timeout(self.consumer, wait))
        if first is None:
            self.doze.looked(self.consumer)
            self._check_topics()
            self.effects.run()
            return 0
        self.doze.woke(self.consumer)
        messages = [first, *self.consumer.consume(num_messages=self.batch_size - 1, timeout=0)]
        records = []
        for message in messages:
            if message.error() is None:
                records.append(message)
            else:
                self._on_consumer_error(message.error())
        if records:
            result = self.handle_batch(records)
            self.effects.run(handled=len(result.handled))
        return len(records)

    def _on_consumer_error(self, error: KafkaError) -> None:
        logger.warning("consumer error", extra={"error": str(error)})
        if error.code() == KafkaError.UNKNOWN_TOPIC_OR_PART:
            self._check_topics(force=True)

    def _check_topics(self, *, force: bool = False) -> None:
        """Create the topics again when they vanished (a restarted Tansu forgets them).

        The group then holds no partitions; once the topics exist, the next metadata refresh
        rebalances the group onto them. Checked at most every 5 s.
        """
        if time.monotonic() < self._next_topic_check or (not force and self.consumer.assignment()):
            return
        self._next_topic_check = time.monotonic() + 5
        try:
            self._ensure_topics()
        except KafkaException as exc:
            logger.warning("consumer: cannot create topics", extra={"error": str(exc)})

    def handle_batch(self, messages: list) -> Applied:
        """Decode `messages`, apply them exactly once (retrying outages), commit their offsets."""
        events, undecodable = [], []
        for message in messages:
            try:
                event = decode_message(message)
                expected = self.event_type_of.get(message.topic(), event.type)
                if event.type != expected:
                    raise UnexpectedType(f"event type {event.type!r} on the topic of {expected!r}")
                events.append(event)
            except DecodeError as exc:
                undecodable.append((message, exc))
        started = time.perf_counter()
        result = self._apply_retrying(events, undecodable)
        log_applied(result, time.perf_counter() - started)
        self._count(result, len(messages), time.perf_counter() - started)
        self._commit(messages)
        return result

    def _apply_retrying(self, events: list, undecodable: list) -> Applied:
        attempt = 0
        while True:
            try:
                with transaction.atomic():
                    for message, error in undecodable:
                        self._dead_letter_message(message, error)
                    result = apply_batch(
                        events,
                        self.handlers,
                        max_attempts=self.max_attempts,
                        group=self.group,
                        prefix=self.prefix,
                    )
                return result
            except (*TRANSIENT_ERRORS, IntegrityError) as exc:
                # Database or a handler's dependency unavailable (or, during a rebalance,
                # another member applied an event of this batch first): nothing was
                # committed, so try the whole batch again after a pause.
                attempt += 1
                logger.warning(
                    "consumer: transient error, retrying the batch",
                    extra={"error": f"{type(exc).__name__}: {exc}"[:500], "attempt": attempt},
                )
                hooks.count("batch_retry", type(exc).__name__)
                if not isinstance(exc, RetryLater):
                    close_old_connections()
                    connection.close()
                self._wait_out(attempt)

    def _dead_letter_message(self, message, error: DecodeError) -> None:
        """Record a message that is not an event (kept byte for byte) for `<topic>.dlq`."""
        headers = {
            name: value.decode("utf-8", "replace") for name, value in header_dict(message.headers()).items()
        }
        logger.error(
            "event dead-lettered",
            extra={
                "kind": "undecodable",
                "error": str(error)[:500],
                "topic": message.topic(),
                "partition": message.partition(),
                "offset": message.offset(),
            },
        )
        dead_letter(
            event_type=headers.get("ce_type", ""),
            key=(message.key() or b"").decode("utf-8", "replace")[:200],
            data=None,
            event_id=headers.get("ce_id", ""),
            error=error,
            kind="unexpected_type" if isinstance(error, UnexpectedType) else "undecodable",
            original_headers=headers,
            raw_value=message.value() or b"",
            topic=message.topic(),
            prefix=self.prefix,
            group=self.group,
            partition=message.partition(),
            offset=message.offset(),
        )

    def _count(self, result: Applied, messages: int, seconds: float) -> None:
        hooks.count("batch_size", messages)
        for outcome, events in (("handled", result.handled), ("duplicate", result.duplicates)):
            for topic, n in _per_topic(events).items():
                hooks.count("events_consumed", topic, outcome, n)
        for topic, n in _per_topic([f.event for f in result.failures]).items():
            hooks.count("events_consumed", topic, "dead_lettered", n)
        for event_type, n in _per_topic(result.handled, attr="type").items():
            hooks.count("handler_duration", event_type, seconds * n / max(1, len(result.handled)))

    def _commit(self, messages: list | None = None, *, wait: bool = False) -> None:
        """Commit the offsets after `messages` (or the last batch's, waiting for it: on close).

        Asynchronous while running: a lost commit only redelivers a batch, which the inbox
        turns into no effect, and the next batch does not wait a broker round trip.
        """
        if messages is not None:
            self._uncommitted = next_offsets(messages)
        if not self._uncommitted:
            return
        try:
            self.consumer.commit(offsets=self._uncommitted, asynchronous=not wait)
        except KafkaException as exc:
            # Not fatal: the batch is redelivered and the inbox turns it into no effect.
            logger.warning("consumer: offset commit failed", extra={"error": str(exc)})


def _per_topic(events, attr: str = "topic") -> dict[str, int]:
    counts: dict[str, int] = {}
    for event in events:
        counts[getattr(event, attr)] = counts.get(getattr(event, attr), 0) + 1
    return counts
