"""Run a service's consumer group: each batch of messages applied exactly once, then committed.

Per batch: decode and validate every message (a bad one becomes a dead letter), then in ONE
database transaction skip the ids already in the inbox, record the new ones and run their
handlers (each in a savepoint, retried up to EVENTS_MAX_ATTEMPTS; one that keeps failing
becomes a dead letter and loses its inbox row, so a replay can apply it later). Dead
letters are acknowledged by the broker, and only then are the offsets committed. A crash
anywhere in between redelivers the batch, and the inbox turns that into no effect.
A database or broker outage is retried with backoff and never dead-letters anything.
"""

import contextlib
import logging
import threading
import time

from confluent_kafka import Consumer, KafkaError, KafkaException
from django.db import (
    IntegrityError,
    InterfaceError,
    OperationalError,
    close_old_connections,
    connection,
    transaction,
)
from jsonschema import ValidationError

from common.context import reset_request_id, set_request_id
from common.events import config
from common.events.dlq import DeadLetter, DeadLetterProducer
from common.events.errors import RetryLater
from common.events.messages import DecodeError, decode_message
from common.events.models import InboxEvent
from common.events.schemas import UnknownEventType, validate_payload, validator_for
from common.events.topics import ensure_topics, next_offsets

logger = logging.getLogger(__name__)

TRANSIENT_ERRORS = (OperationalError, InterfaceError, RetryLater)
MAX_BACKOFF_SECONDS = 5.0


class HandlerFailed(Exception):
    """A handler raised (the cause); the batch transaction is no longer usable."""

    def __init__(self, event) -> None:
        super().__init__(f"handler of {event.type} failed")
        self.event = event


class Stopped(Exception):
    """The consumer was asked to stop while waiting out an outage; the batch stays uncommitted."""


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
    ) -> None:
        self.handlers = dict(handlers)
        for event_type in self.handlers:
            validator_for(event_type)  # a handler for an event type without a schema fails here
        self.group = group or config.group_id()
        prefix = config.topic_prefix() if prefix is None else prefix
        self.event_type_of = {
            config.topic_for(event_type, prefix): event_type for event_type in self.handlers
        }
        self.topics = sorted(self.event_type_of)
        self.batch_size = batch_size or config.consumer_batch_size()
        self.max_attempts = max_attempts or config.max_attempts()
        self.stopping = threading.Event()
        self.assigned = threading.Event()
        self.consumer: Consumer | None = None
        self.dead_letters = DeadLetterProducer(self.group)
        self._next_topic_check = 0.0

    # -- lifecycle ---------------------------------------------------------------------------

    def _wait_out(self, attempt: int) -> None:
        if self.stopping.wait(min(MAX_BACKOFF_SECONDS, 0.1 * 2**attempt)):
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
        logger.info(
            "partitions revoked", extra={"partitions": [f"{p.topic}[{p.partition}]" for p in partitions]}
        )

    def run(self) -> None:
        """Consume until `stop()`: the batch in hand is finished and committed before closing."""
        if not self.topics:
            logger.info("no event handlers: nothing to consume")
            self.stopping.wait()
            return
        try:
            self.start()
            while not self.stopping.is_set():
                self.poll_once()
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
            self.consumer.close()
            self.consumer = None
        self.dead_letters.close()
        logger.info("consumer stopped", extra={"group": self.group})

    # -- one batch ---------------------------------------------------------------------------

    def poll_once(self, timeout: float = 0.5) -> int:
        """Consume, apply and commit one batch; return how many messages it had."""
        # Block for the first message only, then take what is already fetched: low latency
        # when idle, batches under load (consume() alone waits for a full batch or the timeout).
        first = self.consumer.poll(timeout)
        if first is None:
            self._check_topics()
            return 0
        messages = [first, *self.consumer.consume(num_messages=self.batch_size - 1, timeout=0)]
        records = []
        for message in messages:
            if message.error() is None:
                records.append(message)
            else:
                self._on_consumer_error(message.error())
        if records:
            self.handle_batch(records)
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

    def handle_batch(self, messages: list) -> None:
        letters: list[DeadLetter] = []
        events = []
        for message in messages:
            try:
                event = decode_message(message)
                expected = self.event_type_of.get(message.topic(), event.type)
                if event.type != expected:
                    raise UnknownEventType(f"event type {event.type!r} on the topic of {expected!r}")
                validate_payload(event.type, event.data)
            except DecodeError as exc:
                letters.append(DeadLetter(message, "undecodable", exc))
            except UnknownEventType as exc:
                letters.append(DeadLetter(message, "unexpected_type", exc))
            except ValidationError as exc:
                letters.append(DeadLetter(message, "schema", exc))
            else:
                events.append((message, event))
        letters += self._apply_retrying(events)
        self._send_dead_letters(letters)
        self._commit(messages)

    def _apply_retrying(self, events: list) -> list[DeadLetter]:
        attempt = 0
        while True:
            try:
                return self._apply(events)
            except (*TRANSIENT_ERRORS, IntegrityError) as exc:
                # Database or a handler's dependency unavailable (or, during a rebalance,
                # another member applied an event of this batch first): nothing was
                # committed, so try the whole batch again after a pause.
                attempt += 1
                logger.warning(
                    "consumer: transient error, retrying the batch",
                    extra={"error": f"{type(exc).__name__}: {exc}"[:500], "attempt": attempt},
                )
                if not isinstance(exc, RetryLater):
                    close_old_connections()
                    connection.close()
                self._wait_out(attempt)

    def _apply(self, events: list) -> list[DeadLetter]:
        """Apply a batch in one transaction; return the events whose handler kept failing.

        Fast pass: every handler straight in the batch transaction. If one raises, the batch
        is rolled back and applied again with each handler in a savepoint, retried up to
        max_attempts times, the ones still failing left out (savepoints cost two round trips
        per event, so only a batch with a failure pays for them).
        """
        if not events:
            return []
        try:
            return self._apply_batch(events, careful=False)
        except HandlerFailed as failure:
            logger.info(
                "a handler failed: applying the batch again event by event",
                extra={**_event_fields(failure.event), "error": str(failure.__cause__)[:500]},
            )
        return self._apply_batch(events, careful=True)

    def _apply_batch(self, events: list, *, careful: bool) -> list[DeadLetter]:
        handled, letters, failed_ids = [], [], []
        with transaction.atomic():
            ids = [event.id for _, event in events]
            seen = set(InboxEvent.objects.filter(event_id__in=ids).values_list("event_id", flat=True))
            fresh = []
            for message, event in events:
                if event.id in seen:
                    _log_with_correlation(logging.INFO, "duplicate event skipped", event)
                    continue
                seen.add(event.id)
                fresh.append((message, event))
            InboxEvent.objects.bulk_create(
                [
                    InboxEvent(event_id=event.id, event_type=event.type, topic=event.topic)
                    for _, event in fresh
                ]
            )
            for message, event in fresh:
                started = time.perf_counter()
                if careful:
                    error, attempts = self._run_handler_carefully(event)
                    if error is not None:
                        letters.append(DeadLetter(message, "handler", error, attempts))
                        failed_ids.append(event.id)
                        continue
                else:
                    self._run_handler(event)
                handled.append((event, round((time.perf_counter() - started) * 1000, 2)))
            if failed_ids:  # no inbox row: a replayed dead letter must apply
                InboxEvent.objects.filter(event_id__in=failed_ids).delete()
        for event, ms in handled:  # logged once committed
            _log_with_correlation(logging.INFO, "event handled", event, ms=ms)
        return letters

    def _run_handler(self, event) -> None:
        """Run the handler of `event` (with its correlation id as the request id)."""
        handler = self.handlers.get(event.type)
        if handler is None:
            return
        token = set_request_id(event.correlation_id)
        try:
            handler(event)
        except TRANSIENT_ERRORS:
            raise
        except Exception as exc:
            raise HandlerFailed(event) from exc
        finally:
            reset_request_id(token)

    def _run_handler_carefully(self, event) -> tuple[Exception | None, int]:
        """Run the handler in a savepoint up to max_attempts times; return the last error, if any."""
        error = None
        for attempt in range(1, self.max_attempts + 1):
            try:
                with transaction.atomic():
                    self._run_handler(event)
                return None, attempt
            except HandlerFailed as failure:
                error = failure.__cause__
                token = set_request_id(event.correlation_id)
                try:
                    logger.warning(
                        "event handler failed",
                        exc_info=error,
                        extra={**_event_fields(event), "attempt": attempt},
                    )
                finally:
                    reset_request_id(token)
                if attempt < self.max_attempts:
                    time.sleep(0.05 * attempt)
        return error, self.max_attempts

    def _send_dead_letters(self, letters: list[DeadLetter]) -> None:
        for letter in letters:
            logger.error(
                "event dead-lettered",
                extra={
                    "kind": letter.kind,
                    "error": str(letter.error)[:500],
                    "topic": letter.message.topic(),
                    "partition": letter.message.partition(),
                    "offset": letter.message.offset(),
                },
            )
        attempt = 0
        while letters:
            try:
                self.dead_letters.send(letters)
                return
            except (KafkaException, BufferError) as exc:
                attempt += 1
                logger.warning("consumer: cannot send dead letters yet", extra={"error": str(exc)})
                self._wait_out(attempt)
                with contextlib.suppress(KafkaException):
                    self._ensure_topics()

    def _commit(self, messages: list) -> None:
        try:
            self.consumer.commit(offsets=next_offsets(messages), asynchronous=False)
        except KafkaException as exc:
            # Not fatal: the batch is redelivered and the inbox turns it into no effect.
            logger.warning("consumer: offset commit failed", extra={"error": str(exc)})


def _log_with_correlation(level: int, message: str, event, **fields) -> None:
    token = set_request_id(event.correlation_id)
    try:
        logger.log(level, message, extra={**_event_fields(event), **fields})
    finally:
        reset_request_id(token)


def _event_fields(event) -> dict:
    return {
        "event_id": event.id,
        "event_type": event.type,
        "topic": event.topic,
        "partition": event.partition,
        "offset": event.offset,
    }
