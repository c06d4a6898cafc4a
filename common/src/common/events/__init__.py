"""The event bus: a transactional outbox, a relay to Kafka, idempotent consumers.

Services use two things from here:
- `publish(event_type=..., key=..., data=...)` inside their write transaction;
- a `HANDLERS = {"event-type": on_event_type}` dict in `handlers.py`, named by the
  `EVENT_HANDLERS` setting, run by `manage.py consume`; each handler takes an `Event` and
  may raise `RetryLater` when something it depends on is down (retried, never dead-lettered).
"""

from common.events.errors import RetryLater
from common.events.event import Event

__all__ = ["Event", "RetryLater", "publish"]


def __getattr__(name: str):
    # This package is also the Django app holding the outbox models, so the model-backed
    # `publish` is imported on first use, after the app registry is ready.
    if name == "publish":
        from common.events.outbox import publish

        return publish
    raise AttributeError(name)
