"""Bring dead letters back: re-publish what `<topic>.dlq` holds to `<topic>`, once.

A dead letter (recorded by `common.events.outbox.dead_letter`, sent by the relay) keeps the
original key, value and headers, plus `dlq_*` headers naming the error, the original
topic, partition and offset, and the consumer group that gave up.
"""

import logging
import threading
import time

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from django.utils import timezone

from common.events import config
from common.events.topics import ensure_topics, next_offsets

logger = logging.getLogger(__name__)

DLQ_HEADER_PREFIX = "dlq_"


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
    to a topic other groups read is safe. It ends: it stops at the end offsets it saw
    when it started, and a letter dead-lettered after it started (a replayed one whose
    cause is not fixed, back in the DLQ) is left for the next replay. `idle_seconds`
    bounds the wait where the broker's end offsets are not exact (Tansu).
    """
    group = group or config.group_id()
    stopping = stopping or threading.Event()
    started = timezone.now()
    dlq_topics = [config.dlq_topic_for(topic) for topic in topics]
    ensure_topics([*topics, *dlq_topics])
    consumer = Consumer(config.consumer_config(f"{group}-dlq-replay", role="dlq-replay"))
    producer = Producer(config.producer_config("dlq-replay"))
    replayed = 0
    try:
        pending = _assign_with_ends(consumer, dlq_topics)
        idle_until = time.monotonic() + idle_seconds
        while pending and not stopping.is_set() and time.monotonic() < idle_until:
            messages = consumer.consume(num_messages=100, timeout=min(0.5, idle_seconds))
            letters = []
            for message in messages:
                if message.error() is not None:
                    continue
                where = (message.topic(), message.partition())
                if where not in pending or _failed_after(message, started):
                    pending.pop(where, None)  # the rest of this partition is newer than the start
                    continue
                letters.append(message)
                if message.offset() + 1 >= pending[where]:
                    pending.pop(where)
            if not letters:
                continue
            idle_until = time.monotonic() + idle_seconds
            replayed += _republish(producer, letters, group=group, all_groups=all_groups, dry_run=dry_run)
            if not dry_run:
                consumer.commit(offsets=next_offsets(letters), asynchronous=False)
    finally:
        consumer.close()
    return replayed


def _assign_with_ends(consumer: Consumer, dlq_topics: list[str]) -> dict[tuple[str, int], int]:
    """Assign every partition of `dlq_topics`; return the end offset of each one holding letters.

    assign() rather than subscribe(): no group join to wait for; it resumes from the replay
    group's committed offsets (from the start the first time).
    """
    metadata = consumer.list_topics(timeout=10).topics
    partitions = [TopicPartition(topic, p) for topic in dlq_topics for p in metadata[topic].partitions]
    committed = {(tp.topic, tp.partition): tp.offset for tp in consumer.committed(partitions, timeout=10)}
    ends = {}
    for tp in partitions:
        low, high = consumer.get_watermark_offsets(tp, timeout=10, cached=False)
        start = committed.get((tp.topic, tp.partition), -1)
        if high > max(start, low, 0):
            ends[(tp.topic, tp.partition)] = high
    consumer.assign(partitions)
    return ends


def _failed_after(letter, moment) -> bool:
    failed_at = dict(letter.headers() or []).get("dlq_failed_at", b"").decode(errors="replace")
    return bool(failed_at) and failed_at > moment.isoformat()


def _republish(producer: Producer, letters: list, *, group: str, all_groups: bool, dry_run: bool) -> int:
    """Send `letters` back to their original topic (those of `group`); return how many."""
    errors: list = []

    def on_delivery(err, _msg):
        if err is not None:
            errors.append(err)

    count = 0
    for letter in letters:
        headers = dict(letter.headers() or [])
        if not all_groups and headers.get("dlq_consumer_group", b"").decode() != group:
            continue
        original_topic = headers.get("dlq_original_topic", b"").decode() or letter.topic().removesuffix(
            config.DLQ_SUFFIX
        )
        logger.info(
            "dead letter replayed" if not dry_run else "dead letter (dry run)",
            extra={
                "topic": original_topic,
                "dlq_offset": letter.offset(),
                "error": headers.get("dlq_error", b"").decode(),
                "event_id": headers.get("ce_id", b"").decode(errors="replace"),
            },
        )
        count += 1
        if dry_run:
            continue
        kept = [(n, v) for n, v in (letter.headers() or []) if not n.startswith(DLQ_HEADER_PREFIX)]
        producer.produce(
            original_topic, value=letter.value(), key=letter.key(), headers=kept, on_delivery=on_delivery
        )
    if producer.flush(30) or errors:
        raise KafkaException(errors[0] if errors else KafkaError(KafkaError._TIMED_OUT))
    return count
