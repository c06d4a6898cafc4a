"""The event bus: a transactional outbox, a relay to Kafka, idempotent consumers.

Services use these from here:
- `publish(event_type=..., key=..., data=...)` (or `publish_many([...])`) inside their
  write transaction;
- a `HANDLERS = {"event-type": on_event_type}` dict in `handlers.py`, named by the
  `EVENT_HANDLERS` setting, run by the service's event worker; a handler takes an `Event`,
  or, marked `@batch`, a list of the batch's events of its type; it may raise `RetryLater`
  when something it depends on is down (retried, never dead-lettered);
- `EVENT_EFFECTS`: the outside effects carried out after commit (common.events.effects),
  which may `dead_letter(...)` what can never succeed.
"""

from common.events.errors import RetryLater
from common.events.event import Event, batch

__all__ = ["Event", "RetryLater", "batch", "dead_letter", "publish", "publish_many"]

_MODEL_BACKED = {
    "publish": "common.events.outbox",
    "publish_many": "common.events.outbox",
    "dead_letter": "common.events.outbox",
}


def __getattr__(name: str):
    # This package is also the Django app holding the outbox models, so what touches them is
    # imported on first use, after the app registry is ready.
    if name in _MODEL_BACKED:
        from importlib import import_module

        return getattr(import_module(_MODEL_BACKED[name]), name)
    raise AttributeError(name)
