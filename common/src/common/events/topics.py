"""Create topics explicitly (partition count and replication from config), never by auto-creation."""

import logging

from confluent_kafka import KafkaError, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from common.events import config

logger = logging.getLogger(__name__)


def ensure_topics(
    names, *, admin: AdminClient | None = None, timeout: float = 10.0, partitions: int | None = None
) -> None:
    """Create the topics in `names` that do not exist yet; raise KafkaException on failure."""
    names = sorted(set(names))
    if not names:
        return
    admin = admin or AdminClient(config.admin_config())
    existing = set(admin.list_topics(timeout=timeout).topics)
    missing = [name for name in names if name not in existing]
    if not missing:
        return
    new_topics = [
        NewTopic(
            name,
            num_partitions=partitions or config.topic_partitions(),
            replication_factor=config.replication_factor(),
        )
        for name in missing
    ]
    for name, future in admin.create_topics(new_topics, request_timeout=timeout).items():
        try:
            future.result(timeout)
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise
        else:
            logger.info("topic created", extra={"topic": name})


def next_offsets(messages) -> list[TopicPartition]:
    """Return, per partition, the offset after the last of `messages` (what to commit)."""
    latest: dict[tuple[str, int], int] = {}
    for message in messages:
        key = (message.topic(), message.partition())
        latest[key] = max(latest.get(key, -1), message.offset())
    return [TopicPartition(topic, partition, offset + 1) for (topic, partition), offset in latest.items()]
