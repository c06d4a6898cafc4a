"""Dead letters: bad messages are parked in `<topic>.dlq` and the consumer goes on; replay_dlq."""

import io
import threading
import time

import pytest
from django.core.management import call_command

from common.events import config
from common.events.models import InboxEvent
from event_fixtures import (
    consumer,
    event_message,
    headers_of,
    kafka,
    produce_many,
    read_topic,
    wait_for,
)
from testsvc.models import Effect, Widget

__all__ = ["consumer", "kafka"]

pytestmark = pytest.mark.django_db(transaction=True)


def test_undecodable_invalid_and_failing_messages_are_dead_lettered_and_later_ones_still_processed(
    kafka, consumer
):
    Widget.objects.create(name="frozen", frozen=True)
    schema_violation, schema_violation_id = event_message({"name": "x", "amount": "many"}, key="same")
    failing, failing_id = event_message({"name": "frozen", "amount": 1}, key="same")
    good, good_id = event_message({"name": "fine", "amount": 1}, key="same")
    produce_many(kafka.topic, [(b"\xff\x00 not an event", b"same", []), schema_violation, failing, good])

    wait_for(lambda: Effect.objects.filter(event_id=good_id).exists(), step=consumer.poll_once)

    originals = {headers_of(m).get("ce_id"): m for m in read_topic(kafka.topic, count=4)}
    letters = read_topic(config.dlq_topic_for(kafka.topic), count=3)
    by_kind = {headers_of(m)["dlq_error"]: m for m in letters}
    assert sorted(by_kind) == ["handler", "schema", "undecodable"]
    assert by_kind["undecodable"].value() == b"\xff\x00 not an event"
    assert headers_of(by_kind["schema"])["ce_id"] == schema_violation_id
    assert headers_of(by_kind["schema"])["dlq_error_class"] == "SchemaError"
    handler_failure = headers_of(by_kind["handler"])
    assert handler_failure["ce_id"] == failing_id
    assert handler_failure["dlq_error_class"] == "RuntimeError"
    assert "frozen" in handler_failure["dlq_error_message"]
    assert handler_failure["dlq_attempts"] == str(config.max_attempts())
    original = originals[failing_id]
    assert handler_failure["dlq_original_topic"] == kafka.topic
    assert handler_failure["dlq_original_partition"] == str(original.partition())
    assert handler_failure["dlq_original_offset"] == str(original.offset())
    assert handler_failure["dlq_consumer_group"] == kafka.group
    for letter in letters:
        assert headers_of(letter)["dlq_original_topic"] == kafka.topic
        assert letter.key() == b"same"
    assert Effect.objects.filter(event_id=good_id).count() == 1  # batch redone event by event: once
    assert not InboxEvent.objects.filter(event_id=failing_id).exists()
    assert Widget.objects.get(name="frozen").count == 0


def test_replay_dlq_brings_a_dead_letter_back_once_its_cause_is_fixed(kafka, consumer):
    Widget.objects.create(name="frozen", frozen=True)
    message, event_id = event_message({"name": "frozen", "amount": 7}, key="frozen", correlation_id="req-dlq")
    produce_many(kafka.topic, [message])
    seen = []
    wait_for(lambda: sum(seen), step=lambda: seen.append(consumer.poll_once()))
    assert read_topic(config.dlq_topic_for(kafka.topic), count=1)

    Widget.objects.filter(name="frozen").update(frozen=False)
    out = io.StringIO()
    call_command("replay_dlq", "--idle-seconds", "0.5", stdout=out)

    assert out.getvalue().strip() == "1 dead letter(s) replayed"
    wait_for(lambda: Effect.objects.filter(event_id=event_id).exists(), step=consumer.poll_once)
    assert Widget.objects.get(name="frozen").count == 7
    replayed = [m for m in read_topic(kafka.topic, count=2) if headers_of(m)["ce_id"] == event_id]
    assert len(replayed) == 2
    assert not any(name.startswith("dlq_") for name in headers_of(replayed[1]))
    assert headers_of(replayed[1])["correlation_id"] == "req-dlq"

    call_command("replay_dlq", "--idle-seconds", "0.5", stdout=out)
    assert out.getvalue().strip().endswith("0 dead letter(s) replayed")


def test_replay_dlq_of_a_letter_whose_cause_is_not_fixed_ends_and_the_letter_is_back_once(kafka, consumer):
    Widget.objects.create(name="frozen", frozen=True)
    message, event_id = event_message({"name": "frozen", "amount": 7}, key="frozen")
    produce_many(kafka.topic, [message])
    wait_for(
        lambda: read_topic(config.dlq_topic_for(kafka.topic), count=1, timeout=0.5), step=consumer.poll_once
    )

    stop = threading.Event()
    worker = threading.Thread(target=lambda: [consumer.poll_once(0.1) for _ in iter(stop.is_set, True)])
    worker.start()  # the consumer runs on, dead-lettering the replayed letter again at once
    try:
        out = io.StringIO()
        started = time.monotonic()
        call_command("replay_dlq", "--idle-seconds", "1.5", stdout=out)
        took = time.monotonic() - started
        letters = read_topic(config.dlq_topic_for(kafka.topic), count=3, timeout=10, linger=2.0)
    finally:
        stop.set()
        worker.join(30)

    assert out.getvalue().strip() == "1 dead letter(s) replayed"
    assert took < 20
    assert [headers_of(m)["ce_id"] for m in letters] == [event_id, event_id]  # back in the DLQ once
    assert Widget.objects.get(name="frozen").count == 0
