"""The transactional outbox and the relay, against the real broker and database."""

import threading
from datetime import timedelta

import pytest
from confluent_kafka.admin import AdminClient
from django.db import transaction
from django.utils import timezone

from common.context import reset_request_id, set_request_id
from common.events import config, publish
from common.events.models import OutboxEvent
from common.events.relay import Relay
from common.events.schemas import SchemaError as ValidationError
from event_fixtures import WIDGET_COUNTED, headers_of, kafka, payload_of, publish_widget, read_topic, wait_for

__all__ = ["kafka"]

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_committed_event_is_delivered_as_a_cloudevent_with_its_correlation_id(kafka):
    relay = Relay()
    worker = threading.Thread(target=relay.run)
    worker.start()
    try:
        token = set_request_id("req-outbox-1")
        try:
            row = publish_widget("lamp", 3, key="order-1")
        finally:
            reset_request_id(token)
        wait_for(lambda: OutboxEvent.objects.filter(pk=row.pk, sent_at__isnull=False).exists())
    finally:
        relay.stop()
        worker.join(10)

    [message] = read_topic(kafka.topic, count=1)
    headers = headers_of(message)
    assert message.key() == b"order-1"
    assert payload_of(message) == {"name": "lamp", "amount": 3}
    assert headers["ce_id"] == str(row.event_id)
    assert headers["ce_type"] == WIDGET_COUNTED
    assert headers["ce_source"] == "/commercex/testsvc"
    assert headers["ce_specversion"] == "1.0"
    assert headers["ce_time"].startswith(str(row.created_at.year))
    assert headers["correlation_id"] == "req-outbox-1"
    assert not worker.is_alive()


def test_a_rolled_back_event_is_never_delivered(kafka):
    with pytest.raises(RuntimeError), transaction.atomic():
        publish_widget("ghost", 1)
        raise RuntimeError("the change that caused the event failed")
    kept = publish_widget("kept", 1)

    assert Relay().send_pending() == 1

    messages = read_topic(kafka.topic, count=1, linger=1.0)
    assert [headers_of(m)["ce_id"] for m in messages] == [str(kept.event_id)]
    assert list(OutboxEvent.objects.values_list("event_id", flat=True)) == [kept.event_id]


def test_an_invalid_payload_fails_the_write_and_records_nothing():
    with pytest.raises(ValidationError):
        publish(event_type=WIDGET_COUNTED, key="x", data={"name": "x", "amount": "many"})

    assert not OutboxEvent.objects.exists()


def test_events_leave_in_the_order_they_were_recorded_per_key(kafka):
    for seq in range(12):
        publish_widget(f"w{seq % 3}", 1, key=f"key-{seq % 3}", seq=seq)

    Relay(batch_size=5).run_once()
    while OutboxEvent.objects.filter(sent_at__isnull=True).exists():
        Relay(batch_size=5).run_once()

    messages = read_topic(kafka.topic, count=12)
    assert len(messages) == 12
    for key in ("key-0", "key-1", "key-2"):
        seqs = [payload_of(m)["seq"] for m in messages if m.key() == key.encode()]
        assert seqs == sorted(seqs) and len(seqs) == 4


def test_topics_are_created_with_the_configured_partition_count(kafka, monkeypatch):
    monkeypatch.setenv("KAFKA_TOPIC_PARTITIONS", "3")
    publish_widget("p", 1)

    Relay().send_pending()

    topics = AdminClient(config.admin_config()).list_topics(timeout=10).topics
    assert len(topics[kafka.topic].partitions) == 3


def test_sent_rows_are_purged_after_the_retention_period(monkeypatch):
    monkeypatch.setenv("EVENTS_OUTBOX_RETENTION_HOURS", "24")
    old, recent, unsent = (publish_widget(name, 1) for name in ("old", "recent", "unsent"))
    now = timezone.now()
    OutboxEvent.objects.filter(pk=old.pk).update(sent_at=now - timedelta(hours=25))
    OutboxEvent.objects.filter(pk=recent.pk).update(sent_at=now - timedelta(hours=23))

    assert Relay().purge_sent() == 1

    assert set(OutboxEvent.objects.values_list("pk", flat=True)) == {recent.pk, unsent.pk}
