"""`replay`: rewind a consumer group to an offset or a time; the inbox skips what was applied."""

import io
import time

import pytest
from django.core.management import call_command
from django.utils import timezone

from common.events.consumer import EventConsumer
from common.events.models import InboxEvent
from event_fixtures import WIDGET_COUNTED, event_message, kafka, produce_many, wait_for
from testsvc.handlers import HANDLERS
from testsvc.models import Effect

__all__ = ["kafka"]

pytestmark = pytest.mark.django_db(transaction=True)


def consume_until(predicate) -> int:
    """Run the stand-in service's consumer until `predicate(messages_seen)`; return messages seen."""
    consumer = EventConsumer(HANDLERS)
    consumer.start()
    seen = 0

    def step():
        nonlocal seen
        seen += consumer.poll_once()

    try:
        wait_for(lambda: predicate(seen), step=step)
    finally:
        consumer.close()
    return seen


def widget_events(seqs) -> tuple[list, list]:
    built = [event_message({"name": "r", "amount": 1, "seq": seq}, key="r") for seq in seqs]
    return [message for message, _ in built], [event_id for _, event_id in built]


def test_replay_from_a_time_reapplies_what_a_restored_database_lost_and_from_an_offset_skips_the_rest(kafka):
    first, first_ids = widget_events(range(2))
    produce_many(kafka.topic, first)
    consume_until(lambda _seen: Effect.objects.count() == 2)
    time.sleep(0.05)
    backup_time = timezone.now()
    time.sleep(0.05)
    later, later_ids = widget_events(range(2, 4))
    produce_many(kafka.topic, later)
    consume_until(lambda _seen: Effect.objects.count() == 4)

    # The database is restored from a backup taken at backup_time: the later effects are gone.
    Effect.objects.filter(event_id__in=later_ids).delete()
    InboxEvent.objects.filter(event_id__in=later_ids).delete()
    out = io.StringIO()
    call_command("replay", "--event-type", WIDGET_COUNTED, "--from-time", backup_time.isoformat(), stdout=out)

    assert f"{kafka.group} on {kafka.topic} rewound to" in out.getvalue()
    assert consume_until(lambda _seen: Effect.objects.count() == 4) == 2  # only the later two re-read
    assert sorted(Effect.objects.values_list("event_id", flat=True)) == sorted(first_ids + later_ids)

    call_command("replay", "--event-type", WIDGET_COUNTED, "--from-offset", "0", stdout=out)
    assert consume_until(lambda seen: seen >= 4) == 4
    assert sorted(Effect.objects.values_list("event_id", flat=True)) == sorted(first_ids + later_ids)
