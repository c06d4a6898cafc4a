"""The consumer: exactly-once effects through the inbox, correlation ids, crashes and outages."""

import signal
import time
import uuid

import pytest

from common.events import config
from common.events.models import InboxEvent, OutboxEvent
from event_fixtures import (
    consumer,
    create_topic,
    event_message,
    kafka,
    log_lines,
    needs_postgres,
    produce_event,
    produce_many,
    read_topic,
    start_command,
    stop_process,
    wait_for,
)
from testsvc.models import Effect, Widget

__all__ = ["consumer", "kafka"]

pytestmark = pytest.mark.django_db(transaction=True)

TOTAL = 40  # events in the crash test, ten per batch


def test_the_same_event_delivered_twice_has_its_effect_once(kafka, consumer):
    event_id = produce_event(kafka.topic, {"name": "twice", "amount": 5}, key="twice")
    produce_event(kafka.topic, {"name": "twice", "amount": 5}, key="twice", event_id=event_id)
    marker = produce_event(kafka.topic, {"name": "marker", "amount": 1}, key="twice")

    wait_for(lambda: Effect.objects.filter(event_id=marker).exists(), step=consumer.poll_once)

    assert Widget.objects.get(name="twice").count == 5
    assert Effect.objects.filter(event_id=event_id).count() == 1
    assert InboxEvent.objects.filter(event_id=event_id).count() == 1


def test_events_a_handler_publishes_carry_the_correlation_id_of_the_event_it_handled(kafka, consumer):
    event_id = produce_event(
        kafka.topic, {"name": "echo", "amount": 1, "echo": True}, correlation_id="req-42"
    )

    wait_for(lambda: Effect.objects.filter(event_id=event_id).exists(), step=consumer.poll_once)

    [echoed] = OutboxEvent.objects.filter(event_type="widget-echoed")
    assert echoed.correlation_id == "req-42"
    assert echoed.payload == {"name": "echo", "sourceEventId": event_id}


@needs_postgres
def test_a_lost_database_connection_is_retried_without_dead_lettering(kafka, consumer, tmp_path):
    flag = tmp_path / "drop-once"
    flag.touch()
    event_id = produce_event(kafka.topic, {"name": "retry", "amount": 2, "dropConnectionOnce": str(flag)})

    wait_for(lambda: Effect.objects.filter(event_id=event_id).exists(), step=consumer.poll_once)

    assert not flag.exists()  # the handler really lost its connection once
    assert Widget.objects.get(name="retry").count == 2
    assert read_topic(config.dlq_topic_for(kafka.topic), count=1, timeout=1.0) == []


def test_a_handler_asking_to_retry_later_is_retried_without_dead_lettering(kafka, consumer, tmp_path):
    flag = tmp_path / "smtp-down-once"
    flag.touch()
    event_id = produce_event(kafka.topic, {"name": "later", "amount": 3, "retryLaterOnce": str(flag)})

    wait_for(lambda: Effect.objects.filter(event_id=event_id).exists(), step=consumer.poll_once)

    assert not flag.exists()  # the first run really asked to be retried
    assert Widget.objects.get(name="later").count == 3
    assert read_topic(config.dlq_topic_for(kafka.topic), count=1, timeout=1.0) == []


@needs_postgres
def test_a_consumer_killed_mid_batch_then_restarted_applies_every_event_exactly_once(kafka, tmp_path):
    create_topic(kafka.topic)
    built = [
        event_message({"name": f"crash{i % 4}", "amount": 1, "seq": i, "sleep": 0.05}, key=f"k{i % 4}")
        for i in range(TOTAL)
    ]
    produce_many(kafka.topic, [message for message, _ in built])
    ids = [event_id for _, event_id in built]
    log = tmp_path / "consumer.log"
    first = start_command(["consume"], log, EVENTS_CONSUMER_BATCH=10)
    try:
        # Batches commit ten at a time: kill once some are in, mid-way through a later one.
        wait_for(lambda: Effect.objects.count() >= 10, timeout=30, interval=0.01)
        time.sleep(0.1)
        first.send_signal(signal.SIGKILL)
    finally:
        stop_process(first)
    applied_before_restart = Effect.objects.count()
    assert 10 <= applied_before_restart < TOTAL

    second = start_command(["consume"], log, EVENTS_CONSUMER_BATCH=10)
    try:
        wait_for(lambda: Effect.objects.count() >= TOTAL, timeout=40)
        time.sleep(0.5)  # anything applied twice would show up now
    finally:
        assert stop_process(second) == 0

    assert sorted(Effect.objects.values_list("event_id", flat=True)) == sorted(ids)
    assert sum(Widget.objects.values_list("count", flat=True)) == TOTAL
    for key in ("k0", "k1", "k2", "k3"):
        seqs = list(Effect.objects.filter(key=key).order_by("id").values_list("seq", flat=True))
        assert seqs == sorted(seqs)


@needs_postgres
def test_the_consumer_logs_the_correlation_id_of_each_message_and_stops_cleanly_on_sigterm(kafka, tmp_path):
    create_topic(kafka.topic)
    correlation_id = f"req-{uuid.uuid4().hex[:8]}"
    event_id = produce_event(kafka.topic, {"name": "logged", "amount": 1}, correlation_id=correlation_id)
    log = tmp_path / "consumer.log"

    process = start_command(["consume"], log)
    try:
        wait_for(lambda: Effect.objects.filter(event_id=event_id).exists(), timeout=30)
    finally:
        exit_code = stop_process(process, signal.SIGTERM)

    assert exit_code == 0
    [applied] = [line for line in log_lines(log) if event_id in line.get("event_ids", [])]
    assert applied["message"] == "events applied"
    assert applied["correlation_ids"] == [correlation_id]
    assert applied["request_id"] == correlation_id
    assert applied["service"] == "testsvc-service"
    assert any(line["message"] == "consumer stopped" for line in log_lines(log))
