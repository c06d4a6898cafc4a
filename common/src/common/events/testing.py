"""Helpers for service tests: deliver an event through the inbox path, read the outbox."""

import uuid

from django.utils import timezone

from common.events.event import Event
from common.events.inbox import process_event
from common.events.models import OutboxEvent


def make_event(event_type: str, data: dict, *, key: str = "", event_id: str | None = None) -> Event:
    return Event(
        id=event_id or str(uuid.uuid4()),
        type=event_type,
        source="/commercex/tests",
        time=timezone.now(),
        key=key,
        data=data,
        correlation_id="test-correlation",
        topic=event_type,
    )


def deliver(
    handlers: dict, event_type: str, data: dict, *, key: str = "", event_id: str | None = None
) -> bool:
    """Run `data` through the consumer's exactly-once path (schema, inbox, handler)."""
    return process_event(make_event(event_type, data, key=key, event_id=event_id), handlers)


def published(event_type: str | None = None) -> list[OutboxEvent]:
    """Return the events recorded in this service's outbox, oldest first."""
    rows = OutboxEvent.objects.order_by("id")
    return list(rows.filter(event_type=event_type) if event_type else rows)


def deliver_published(handlers: dict, event_type: str) -> int:
    """Feed this service's own recorded events of one type to `handlers`; return how many applied."""
    return sum(
        deliver(handlers, row.event_type, row.payload, key=row.key, event_id=str(row.event_id))
        for row in published(event_type)
    )
