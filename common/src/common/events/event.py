"""The event a handler receives: CloudEvents attributes, the payload and where it came from."""

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
