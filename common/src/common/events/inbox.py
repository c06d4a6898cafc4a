"""Apply an event exactly once: its handler's effects and its inbox row commit together."""

import logging

from django.db import transaction

from common.context import reset_request_id, set_request_id
from common.events.event import Event
from common.events.models import InboxEvent
from common.events.schemas import validate_payload

logger = logging.getLogger(__name__)


def process_event(event: Event, handlers: dict) -> bool:
    """Run the handler for `event` unless its id is already in the inbox; return True if applied.

    The payload is validated against its schema first (jsonschema.ValidationError is
    raised for a bad one, for the caller to dead-letter). Events without a handler are
    recorded too, so that a replay skips them cheaply.
    """
    validate_payload(event.type, event.data)
    token = set_request_id(event.correlation_id)
    try:
        with transaction.atomic():
            _, created = InboxEvent.objects.get_or_create(
                event_id=event.id, defaults={"event_type": event.type, "topic": event.topic or event.type}
            )
            if not created:
                logger.info("duplicate event skipped", extra={"event_id": event.id, "event_type": event.type})
                return False
            handler = handlers.get(event.type)
            if handler is not None:
                handler(event)
        return True
    finally:
        reset_request_id(token)
