"""Record events in the outbox, inside the caller's database transaction.

`publish` and `publish_many` record events for the relay to send; `dead_letter` records a
dead letter bound for `<topic>.dlq` the same way, so a dead letter commits (or not)
together with whatever else the transaction decided about the event.
"""

import uuid
from collections.abc import Iterable

import orjson
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from common.context import get_request_id
from common.events import config, hooks
from common.events.event import Event
from common.events.models import OutboxEvent
from common.events.outbox_sql import insert_rows
from common.events.schemas import validate_payload

INSERT_CHUNK = 100  # rows per INSERT: SQLite takes at most 999 parameters (8 a row)
DLQ_HEADER_PREFIX = "dlq_"
MAX_ERROR_LENGTH = 1000
_ENCODER = DjangoJSONEncoder()


_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS


def normalized(data: dict) -> dict:
    """Return `data` with Decimals, datetimes and UUIDs as the strings JSON carries.

    Django's JSON encoder decides each string (datetimes in its format); orjson does the rest.
    """
    return orjson.loads(orjson.dumps(data, default=_ENCODER.default, option=_OPTIONS))


def _row(event_type: str, key, data: dict, cause: Event | None) -> OutboxEvent:
    """Build a validated row; its correlation id and trace come from `cause` or the current request."""
    payload = normalized(data)
    validate_payload(event_type, payload)
    if cause is not None:
        correlation_id, headers = cause.correlation_id or "", dict(cause.context)
    else:
        correlation_id, headers = get_request_id() or "", hooks.outgoing_trace_headers()
    return OutboxEvent(
        event_type=event_type,
        topic=event_type,
        key=str(key),
        payload=payload,
        correlation_id=correlation_id,
        headers=headers,
    )


def publish(*, event_type: str, key, data: dict, cause: Event | None = None) -> OutboxEvent:
    """Record `event_type` for the relay to send; it leaves only if the transaction commits.

    The topic is the event type. The payload is validated against its schema first, so a
    malformed event fails the write that caused it instead of reaching a consumer. A batch
    handler passes the event that caused this one as `cause` (its trace and correlation id).
    """
    with hooks.publish_span(event_type):
        row = _row(event_type, key, data, cause)
        insert_rows([row])  # one statement: atomic by itself, no savepoint needed
    return row


def publish_many(events: Iterable[tuple]) -> list[OutboxEvent]:
    """Record `(event_type, key, data)` or `(event_type, key, data, cause)` events in one insert."""
    rows = [_row(*spec) if len(spec) == 4 else _row(*spec, None) for spec in events]
    for start in range(0, len(rows), INSERT_CHUNK):
        insert_rows(rows[start : start + INSERT_CHUNK])
    return rows


def dead_letter_headers(
    *, original: dict[str, str], kind: str, error, topic: str, group: str, attempts: int = 1, **where
) -> dict[str, str]:
    """Return the headers of a dead letter: the original ones (less old `dlq_*`) plus the cause."""
    kept = {name: value for name, value in original.items() if not name.startswith(DLQ_HEADER_PREFIX)}
    details = {
        "dlq_error": kind,
        "dlq_error_class": type(error).__name__ if isinstance(error, BaseException) else "Error",
        "dlq_error_message": str(error)[:MAX_ERROR_LENGTH],
        "dlq_original_topic": topic,
        "dlq_original_partition": str(where.get("partition", -1)),
        "dlq_original_offset": str(where.get("offset", -1)),
        "dlq_consumer_group": group,
        "dlq_attempts": str(attempts),
        "dlq_failed_at": timezone.now().isoformat(),
    }
    return {**kept, **details}


def dead_letter(
    *,
    event_type: str,
    key: str,
    data: dict | None,
    event_id: str,
    error,
    kind: str = "effect",
    original_headers: dict[str, str] | None = None,
    raw_value: bytes | None = None,
    topic: str | None = None,
    prefix: str | None = None,
    group: str | None = None,
    attempts: int = 1,
    **where,
) -> OutboxEvent:
    """Record a dead letter of event `event_id` for `<topic>.dlq`, in the caller's transaction.

    The relay sends it with the original id (`ce_id`), key and payload, or `raw_value`
    verbatim for a message that was never an event, plus the `dlq_*` headers naming why.
    """
    prefix = config.topic_prefix() if prefix is None else prefix
    topic = topic or config.topic_for(event_type, prefix)
    headers = dead_letter_headers(
        original={**(original_headers or {}), "ce_id": event_id, "ce_type": event_type},
        kind=kind,
        error=error,
        topic=topic,
        group=group or config.group_id(),
        attempts=attempts,
        **where,
    )
    with transaction.atomic():
        return OutboxEvent.objects.create(
            event_id=uuid.uuid4(),
            event_type=event_type or "unknown",
            topic=config.dlq_topic_for(topic.removeprefix(prefix)),  # the relay adds the prefix
            key=key,
            payload=data or {},
            correlation_id=headers.get("correlation_id", get_request_id() or ""),
            headers=headers,
            raw_value=raw_value,
        )
