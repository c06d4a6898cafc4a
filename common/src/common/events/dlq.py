"""Dead letters: park a message that cannot be processed in `<topic>.dlq`, and bring it back.

A dead letter keeps the original key, value and headers, plus `dlq_*` headers naming the
error, the original topic, partition and offset, and the consumer group that gave up.
"""

import logging
import threading
import time
from dataclasses import dataclass

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from django.utils import timezone

from common.events import config
from common.events.topics import ensure_topics, next_offsets

logger = logging.getLogger(__name__)

DLQ_HEADER_PREFIX = "dlq_"
MAX_ERROR_LENGTH = 1000


@dataclass
class DeadLetter:
    message: object  # confluent_kafka.Message
    kind: str  # undecodable | schema | unexpected_type | handler
    error: BaseException
    attempts: int = 1


def dead_letter_headers(letter: DeadLetter, group: str) -> list[tuple[str, bytes]]:
    message = letter.message
    original = [
        (name, value) for name, value in (message.headers() or []) if not name.startswith(DLQ_HEADER_PREFIX)
    ]
    details = {
        "dlq_error": letter.kind,
        "dlq_error_class": type(letter.error).__name__,
        "dlq_error_message": str(letter.error)[:MAX_ERROR_LENGTH],
        "dlq_original_topic": message.topic(),
        "dlq_original_partition": str(message.partition()),
        "dlq_original_offset": str(message.offset()),
        "dlq_consumer_group": group,
        "dlq_attempts": str(letter.attempts),
        "dlq_failed_at": timezone.now().isoformat(),
    }
    return original + [(name, value.encode()) for name, value in details.items()]


class DeadLetterProducer:
    """Produce dead letters and wait for their acknowledgement, recreating the producer on failure."""

    def __init__(self, group: str) -> None:
        self.group = group
        self.producer: Producer | None = None

    def send(self, letters: list[DeadLetter]) -> None:
        """Send `letters`; raise KafkaException unless all were acknowledged."""
        if not letters:
            return
        if self.producer is None:
            self.producer = Producer({**config.producer_config("dlq"), "allow.auto.create.topics": False})
        errors: list = []

        def on_delivery(err, _msg):
            if err is not None:
                errors.append(err)

        for letter in letters:
            self.producer.produce(
                config.dlq_topic_for(letter.message.topic()),
                value=letter.message.value(),
                key=letter.message.key(),
                headers=dead_letter_headers(letter, self.group),
                on_delivery=on_delivery,
            )
        remaining = self.producer.flush(30)
        if errors or remaining:
            self.close(purge=True)
            error = (
                errors[0] if errors else KafkaError(KafkaError._TIMED_OUT, "dead letters not acknowledged")
            )
            raise KafkaException(error)

    def close(self, *, purge: bool = False) -> None:
        if self.producer is not None:
            if purge:
                self.producer.purge()
            self.producer.flush(0 if purge else 5)
        self.producer = None


def replay_dead_letters(
    *,
    topics: list[str],
    group: str | None = None,
    all_groups: bool = False,
    idle_seconds: float = 3.0,
    dry_run: bool = False,
    stopping: threading.Event | None = None,
) -> int:
    """Re-publish the dead letters of `topics` (original topic names) to their topic; return how many.

    Only letters a consumer of `group` gave up on are replayed, unless `all_groups`. The
    replay group `<group>-dlq-replay` remembers where it stopped, so each letter is
    replayed once; consumers skip events they already applied (inbox), so re-publishing
    to a topic other groups read is safe. Stops after `idle_seconds` without a letter.
    """
    group = group or config.group_id()
    stopping = stopping or threading.Event()
    dlq_topics = [config.dlq_topic_for(topic) for topic in topics]
    ensure_topics([*topics, *dlq_topics])
    consumer = Consumer(config.consumer_config(f"{group}-dlq-replay", role="dlq-replay"))
    producer = Producer(config.producer_config("dlq-replay"))
    # assign() rather than subscribe(): no group join to wait for; it resumes from the replay
    # group's committed offsets (from the start the first time).
    metadata = consumer.list_topics(timeout=10).topics
    consumer.assign([TopicPartition(topic, p) for topic in dlq_topics for p in metadata[topic].partitions])
    replayed = 0
    try:
        idle_until = time.monotonic() + idle_seconds
        while not stopping.is_set() and time.monotonic() < idle_until:
            messages = consumer.consume(num_messages=100, timeout=min(0.5, idle_seconds))
            letters = [m for m in messages if m.error() is None]
            if not letters:
                continue
            idle_until = time.monotonic() + idle_seconds
            errors: list = []

            def on_delivery(err, _msg, errors=errors):
                if err is not None:
                    errors.append(err)

            for letter in letters:
                headers = dict(letter.headers() or [])
                if not all_groups and headers.get("dlq_consumer_group", b"").decode() != group:
                    continue
                original_topic = headers.get(
                    "dlq_original_topic", b""
                ).decode() or letter.topic().removesuffix(config.DLQ_SUFFIX)
                logger.info(
                    "dead letter replayed" if not dry_run else "dead letter (dry run)",
                    extra={
                        "topic": original_topic,
                        "dlq_offset": letter.offset(),
                        "error": headers.get("dlq_error", b"").decode(),
                        "event_id": headers.get("ce_id", b"").decode(errors="replace"),
                    },
                )
                replayed += 1
                if dry_run:
                    continue
                kept = [(n, v) for n, v in (letter.headers() or []) if not n.startswith(DLQ_HEADER_PREFIX)]
                producer.produce(
                    original_topic,
                    value=letter.value(),
                    key=letter.key(),
                    headers=kept,
                    on_delivery=on_delivery,
                )
            if producer.flush(30) or errors:
                raise KafkaException(errors[0] if errors else KafkaError(KafkaError._TIMED_OUT))
            if not dry_run:
                consumer.commit(offsets=next_offsets(letters), asynchronous=False)
    finally:
        consumer.close()
    return replayed
