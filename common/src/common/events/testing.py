"""Helpers for service tests: deliver events through the consumer's apply path, read the outbox."""

import uuid

from django.utils import timezone

from common.events.apply import Applied, apply_batch
from common.events.event import Event
from common.events.models import OutboxEvent


def make_event(
    event_type: str,
    data: dict,
    *,
    key: str = "",
    event_id: str | None = None,
    correlation_id: str = "test-correlation",
) -> Event:
    return Event(
        id=event_id or str(uuid.uuid4()),
        type=event_type,
        source="/commercex/tests",
        time=timezone.now(),
        key=key,
        data=data,
        correlation_id=correlation_id,
        topic=event_type,
    )


def deliver_batch(handlers: dict, events: list) -> Applied:
    """Apply a batch, as the consumer does: `events` are `Event`s or `(event_type, data)` pairs."""
    batch = [
        e if isinstance(e, Event) else make_event(e[0], e[1], key=str(e[1].get("orderId", "")))
        for e in events
    ]
    return apply_batch(batch, handlers)


def deliver(
    handlers: dict, event_type: str, data: dict, *, key: str = "", event_id: str | None = None
) -> bool:
    """Run one event through the consumer's apply path; return True if it applied (not a repeat).

    An event that is dead-lettered (bad payload, failing handler) returns False too, with
    its dead letter in the outbox (see `dead_letters`).
    """
    result = apply_batch([make_event(event_type, data, key=key, event_id=event_id)], handlers)
    return bool(result.handled)


def published(event_type: str | None = None) -> list[OutboxEvent]:
    """Return the events recorded in this service's outbox, oldest first (dead letters excluded)."""
    rows = OutboxEvent.objects.exclude(topic__endswith=".dlq").order_by("id")
    return list(rows.filter(event_type=event_type) if event_type else rows)


def dead_letters(event_type: str | None = None) -> list[OutboxEvent]:
    """Return the dead letters recorded for `<topic>.dlq`, oldest first."""
    rows = OutboxEvent.objects.filter(topic__endswith=".dlq").order_by("id")
    return list(rows.filter(event_type=event_type) if event_type else rows)


def deliver_published(handlers: dict, event_type: str) -> int:
    """Feed this service's own recorded events of one type to `handlers`; return how many applied."""
    return sum(
        deliver(handlers, row.event_type, row.payload, key=row.key, event_id=str(row.event_id))
        for row in published(event_type)
    )
