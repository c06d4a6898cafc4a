"""Record events in the outbox, inside the caller's database transaction."""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from common.context import get_request_id
from common.events.models import OutboxEvent
from common.events.schemas import validate_payload


def publish(*, event_type: str, key: str, data: dict) -> OutboxEvent:
    """Record `event_type` for the relay to send; it leaves only if the transaction commits.

    The topic is the event type. The payload is validated against its schema first, so a
    malformed event fails the write that caused it instead of reaching a consumer.
    """
    payload = json.loads(json.dumps(data, cls=DjangoJSONEncoder))
    validate_payload(event_type, payload)
    with transaction.atomic():
        return OutboxEvent.objects.create(
            event_type=event_type,
            topic=event_type,
            key=str(key),
            payload=payload,
            correlation_id=get_request_id() or "",
        )
