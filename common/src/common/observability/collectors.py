"""Gauges computed when `/metrics` is scraped: the outbox backlog and the consumer lag.

They describe state kept in the database and the broker, which every process of a service
sees alike, so the scraped web worker reads it there instead of each process keeping a
copy: one indexed query for the outbox, three broker requests for the lag.

Consumer lag is, per topic the service consumes, the sum over partitions of the high
watermark minus the offset its group committed. On real Kafka that is exact. Tansu (the
local broker) reports the base offset of the last record batch + 1 as the high watermark,
so locally the lag reads up to one producer batch low; it still grows while the consumer
is stuck, which is what the alert watches (see docs/OBSERVABILITY.md).
"""

import logging
import os
import threading
import time

from prometheus_client.core import GaugeMetricFamily

logger = logging.getLogger(__name__)
_kafka_logger = logging.getLogger("common.observability.kafka")

BROKER_TIMEOUT_SECONDS = 2.0
CACHE_SECONDS = 1.0
# After the broker failed to answer, scrapes leave the lag out for this long instead of
# each waiting for it (and logging it) again.
BROKER_RETRY_SECONDS = 5.0


def _outbox_families() -> list:
    from django.db.models import Count, Min
    from django.utils import timezone

    from common.events.models import OutboxEvent

    unsent = OutboxEvent.objects.filter(sent_at__isnull=True)
    row = unsent.aggregate(pending=Count("id"), oldest=Min("created_at"))
    pending = GaugeMetricFamily(
        "commercex_outbox_pending", "Events recorded in the outbox and not yet sent to Kafka."
    )
    pending.add_metric([], row["pending"] or 0)
    age = GaugeMetricFamily(
        "commercex_outbox_oldest_pending_seconds", "Age of the oldest event not yet sent to Kafka (0: none)."
    )
    oldest = row["oldest"]
    age.add_metric([], (timezone.now() - oldest).total_seconds() if oldest else 0.0)
    return [pending, age]


def consumed_topics() -> list[str]:
    """The Kafka topics of the service's EVENT_HANDLERS (none for a service that consumes nothing)."""
    from django.conf import settings
    from django.utils.module_loading import import_string

    from common.events import config

    path = getattr(settings, "EVENT_HANDLERS", "")
    if not path:
        return []
    return sorted(config.topic_for(event_type) for event_type in import_string(path))


class _Broker:
    """One AdminClient per process (a librdkafka handle must not cross a fork)."""

    def __init__(self) -> None:
        self.pid = 0
        self.admin = None
        self.lock = threading.Lock()

    def client(self):
        from confluent_kafka.admin import AdminClient

        from common.events import config

        if self.pid != os.getpid():
            # librdkafka's own log lines go through logging (JSON), not straight to stderr.
            self.admin = AdminClient({**config.admin_config(), "logger": _kafka_logger})
            self.pid = os.getpid()
        return self.admin


_broker = _Broker()


def consumer_lag(topics: list[str], group: str) -> dict[str, int]:
    """Return {topic: messages `group` has yet to read}, asking the broker."""
    from confluent_kafka import ConsumerGroupTopicPartitions, TopicPartition
    from confluent_kafka.admin import OffsetSpec

    admin = _broker.client()
    metadata = admin.list_topics(timeout=BROKER_TIMEOUT_SECONDS).topics
    partitions = [
        TopicPartition(topic, partition)
        for topic in topics
        if topic in metadata and metadata[topic].error is None
        for partition in metadata[topic].partitions
    ]
    if not partitions:
        return dict.fromkeys(topics, 0)
    committed_future = admin.list_consumer_group_offsets(
        [ConsumerGroupTopicPartitions(group, partitions)], request_timeout=BROKER_TIMEOUT_SECONDS
    )[group]
    latest = admin.list_offsets(
        {tp: OffsetSpec.latest() for tp in partitions}, request_timeout=BROKER_TIMEOUT_SECONDS
    )
    committed = {
        (tp.topic, tp.partition): tp.offset
        for tp in committed_future.result(timeout=BROKER_TIMEOUT_SECONDS).topic_partitions
    }
    lag = dict.fromkeys(topics, 0)
    for tp, future in latest.items():
        high = future.result(timeout=BROKER_TIMEOUT_SECONDS).offset
        done = max(0, committed.get((tp.topic, tp.partition), 0))  # no commit yet: from the start
        lag[tp.topic] += max(0, high - done)
    return lag


class StateCollector:
    """The scrape-time gauges; a part that cannot be read is left out of that scrape."""

    def __init__(self) -> None:
        self._lag: tuple[float, dict[str, int]] | None = None
        self._broker_failed_at = -BROKER_RETRY_SECONDS

    def _lag_family(self):
        from common.events import config

        topics = consumed_topics()
        if not topics:
            return None
        now = time.monotonic()
        with _broker.lock:
            if now - self._broker_failed_at < BROKER_RETRY_SECONDS:
                return None
            if self._lag is None or now - self._lag[0] > CACHE_SECONDS:
                try:
                    self._lag = (now, consumer_lag(topics, config.group_id()))
                except Exception:
                    self._broker_failed_at = now
                    _broker.pid = (
                        0  # a fresh client next time: one from before a broker restart may not recover
                    )
                    raise
            lag = self._lag[1]
        family = GaugeMetricFamily(
            "commercex_consumer_lag",
            "Messages of a topic this service's consumer group has yet to read.",
            labels=["topic"],
        )
        for topic, value in sorted(lag.items()):
            family.add_metric([topic], value)
        return family

    def collect(self):
        try:
            yield from _outbox_families()
        except Exception as exc:  # noqa: BLE001 - a scrape must not fail because the database is down
            logger.warning("metrics: cannot read the outbox", extra={"error": str(exc)[:300]})
        try:
            family = self._lag_family()
        except Exception as exc:  # noqa: BLE001 - nor because the broker is
            logger.warning("metrics: cannot read the consumer lag", extra={"error": str(exc)[:300]})
        else:
            if family is not None:
                yield family
