"""The event a handler receives: CloudEvents attributes, the payload and where it came from."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    source: str
    time: datetime | None
    key: str
    data: dict
    correlation_id: str | None = None
    topic: str = ""
    partition: int = -1
    offset: int = -1
    headers: dict = field(default_factory=dict)
    # Filled while it is handled: the trace headers its consequences carry (see apply._run).
    context: dict = field(default_factory=dict, compare=False)


def batch(handler: Callable[[list[Event]], None]) -> Callable[[list[Event]], None]:
    """Mark `handler` as taking every fresh event of its type in a batch at once (a list)."""
    handler.handles_batch = True
    return handler


def is_batch_handler(handler) -> bool:
    return getattr(handler, "handles_batch", False)
