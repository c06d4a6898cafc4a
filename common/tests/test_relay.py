"""The relay through a broker outage: nothing lost, nothing twice, order per key kept."""

import threading
from datetime import timedelta

import pytest
from confluent_kafka.admin import AdminClient
from django.utils import timezone

from common.events import config
from common.events.consumer import EventConsumer
from common.events.models import OutboxEvent
from common.events.relay import Relay
from event_fixtures import kafka, own_broker, payload_of, publish_widget, read_topic, wait_for
from testsvc.handlers import HANDLERS
from testsvc.models import Effect, Widget

__all__ = ["kafka"]

pytestmark = pytest.mark.django_db(transaction=True)


def test_events_recorded_while_the_broker_is_down_are_all_delivered_once_in_order_per_key(
    kafka, monkeypatch, tmp_path
):
    # A producer must give up on a message quickly here, so that the relay sees the outage.
    monkeypatch.setenv("KAFKA_PRODUCER_CONFIG", "message.timeout.ms=2000")
    with own_broker(monkeypatch, tmp_path) as broker:
        relay = Relay()
        worker = threading.Thread(target=relay.run)
        worker.start()
        try:
            warm_up = publish_widget("warm-up", 1)
            wait_for(lambda: OutboxEvent.objects.filter(pk=warm_up.pk, sent_at__isnull=False).exists())

            broker.stop()  # a restarted Tansu forgets everything: producer ids, topics, data
            recorded = [publish_widget(f"w{seq % 3}", 1, key=f"key-{seq % 3}", seq=seq) for seq in range(30)]
            wait_for(lambda: relay.failures > 0, timeout=30)
            assert OutboxEvent.objects.filter(sent_at__isnull=True).count() == 30
            broker.start()

            wait_for(lambda: not OutboxEvent.objects.filter(sent_at__isnull=True).exists(), timeout=60)
        finally:
            relay.stop()
            worker.join(30)
        messages = read_topic(kafka.topic, count=31, linger=1.0)

    ce_ids = [dict(m.headers())["ce_id"].decode() for m in messages]
    # The warm-up event was lost with the broker's memory, so the relay sent it again too.
    expected = [warm_up, *recorded]
    assert sorted(ce_ids) == sorted(str(row.event_id) for row in expected)  # all, none twice
    for key in ("key-0", "key-1", "key-2"):
        seqs = [payload_of(m)["seq"] for m in messages if m.key() == key.encode()]
        assert seqs == sorted(seqs) and len(seqs) == 10
    assert not worker.is_alive()


def test_events_acknowledged_but_lost_with_a_restarted_broker_are_sent_again_in_order(
    kafka, monkeypatch, tmp_path
):
    monkeypatch.setenv("EVENTS_RELAY_BROKER_CHECK_SECONDS", "0.2")
    with own_broker(monkeypatch, tmp_path) as broker:
        relay = Relay()
        worker = threading.Thread(target=relay.run)
        worker.start()
        try:
            sent = [publish_widget("w", 1, key="key-0", seq=seq) for seq in range(5)]
            wait_for(lambda: not OutboxEvent.objects.filter(sent_at__isnull=True).exists())

            broker.stop()  # acknowledged, never consumed: a memory-only broker forgets them
            broker.start()
            messages = read_topic_when_created(kafka.topic, count=5)
        finally:
            relay.stop()
            worker.join(30)

    assert [payload_of(m)["seq"] for m in messages] == [0, 1, 2, 3, 4]
    assert [dict(m.headers())["ce_id"].decode() for m in messages] == [str(row.event_id) for row in sent]


def read_topic_when_created(topic: str, *, count: int) -> list:
    """Read `topic` once the relay has created it again on the restarted broker."""
    wait_for(lambda: topic in AdminClient(config.admin_config()).list_topics(timeout=5).topics, timeout=30)
    return read_topic(topic, count=count, timeout=30, linger=1.0)


def test_broker_loss_while_a_consumer_is_far_behind_loses_nothing_and_applies_nothing_twice(
    kafka, monkeypatch, tmp_path
):
    monkeypatch.setenv("EVENTS_RELAY_BROKER_CHECK_SECONDS", "0.2")
    with own_broker(monkeypatch, tmp_path) as broker:
        relay = Relay()
        recorded = [publish_widget(f"far{seq % 3}", 1, key=f"key-{seq % 3}", seq=seq) for seq in range(20)]
        wait_for(lambda: not OutboxEvent.objects.filter(sent_at__isnull=True).exists(), step=relay.run_once)
        behind = EventConsumer(HANDLERS, batch_size=5)
        behind.start()
        wait_for(lambda: Effect.objects.count() >= 5, step=behind.poll_once, timeout=30)
        behind.close()
        applied_before = Effect.objects.count()
        # Sent hours ago, longer than any re-send window a relay might keep.
        OutboxEvent.objects.update(sent_at=timezone.now() - timedelta(hours=3))

        broker.stop()  # Tansu forgets topics, data and the group's offsets
        broker.start()
        wait_for(lambda: not OutboxEvent.objects.filter(sent_at__isnull=True).exists(), step=relay.run_once)
        caught_up = EventConsumer(HANDLERS)
        caught_up.start()
        wait_for(lambda: Effect.objects.count() >= 20, step=caught_up.poll_once, timeout=60)
        for _ in range(5):
            caught_up.poll_once(0.2)  # anything applied twice would show up now
        caught_up.close()
        relay.close()

    assert 5 <= applied_before < 20
    assert sorted(Effect.objects.values_list("event_id", flat=True)) == sorted(
        str(r.event_id) for r in recorded
    )
    assert sum(Widget.objects.values_list("count", flat=True)) == 20
