"""Rewind a consumer group on a topic to an offset or a point in time, to reprocess from there.

The group's consumers must be stopped (a broker refuses to move the offsets of an active
group); when they start again they re-read from the new position. The inbox makes this
safe: events already applied are skipped, only the missing ones take effect (e.g. after a
service database was restored from a backup, replay from the backup's time).
"""

import logging
import uuid
from datetime import datetime

from confluent_kafka import Consumer, ConsumerGroupTopicPartitions, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient

from common.events import config

logger = logging.getLogger(__name__)


def offsets_for_time(
    topic: str, partitions: list[int], when: datetime, *, timeout: float = 10
) -> dict[int, int]:
    """Return, per partition, the first offset whose message time is at or after `when`."""
    probe = Consumer(config.consumer_config(f"replay-probe-{uuid.uuid4().hex}", role="replay"))
    try:
        millis = int(when.timestamp() * 1000)
        found = probe.offsets_for_times(
            [TopicPartition(topic, p, millis) for p in partitions], timeout=timeout
        )
        result = {}
        for tp in found:
            if tp.error is not None:
                raise KafkaException(tp.error)
            if tp.offset < 0:  # nothing at or after `when`: start at the end
                _low, tp.offset = probe.get_watermark_offsets(
                    TopicPartition(topic, tp.partition), timeout=timeout
                )
            result[tp.partition] = tp.offset
        return result
    finally:
        probe.close()


def rewind_group(
    *,
    group: str,
    topic: str,
    offset: int | None = None,
    when: datetime | None = None,
    partitions: list[int] | None = None,
    timeout: float = 10,
) -> dict[int, int]:
    """Set `group`'s committed offsets on `topic` (all partitions, or `partitions`); return them."""
    if (offset is None) == (when is None):
        raise ValueError("give exactly one of offset and when")
    admin = AdminClient(config.admin_config())
    metadata = admin.list_topics(topic, timeout=timeout).topics.get(topic)
    if metadata is None or metadata.error is not None or not metadata.partitions:
        raise KafkaException(f"topic {topic!r} does not exist")
    chosen = sorted(partitions if partitions is not None else metadata.partitions)
    offsets = offsets_for_time(topic, chosen, when) if when is not None else {p: offset for p in chosen}
    request = ConsumerGroupTopicPartitions(group, [TopicPartition(topic, p, o) for p, o in offsets.items()])
    for future in admin.alter_consumer_group_offsets([request], request_timeout=timeout).values():
        result = future.result(timeout)
        for tp in result.topic_partitions:
            if tp.error is not None:
                raise KafkaException(tp.error)
    logger.info("consumer group rewound", extra={"group": group, "topic": topic, "offsets": offsets})
    return offsets
