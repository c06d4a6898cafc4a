"""Turn outbox rows into Kafka messages and Kafka messages into `Event`s.

CloudEvents 1.0 binary content mode through the `cloudevents` SDK's Kafka binding: the
attributes are `ce_*` headers, the value is the JSON payload, the key is the aggregate id.
The correlation id rides along as a plain `correlation_id` header.
"""

from datetime import datetime

from cloudevents.core.bindings.kafka import KafkaMessage, from_binary, to_binary
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent

from common.events.event import Event

CORRELATION_HEADER = "correlation_id"
SPECVERSION = "1.0"
_FORMAT = JSONFormat()


class DecodeError(ValueError):
    """A message that is not a CloudEvent with a JSON object payload."""


def source_for(service: str) -> str:
    return f"/commercex/{service}"


def encode(
    *,
    event_id: str,
    event_type: str,
    service: str,
    time: datetime,
    key: str,
    data: dict,
    correlation_id: str = "",
) -> KafkaMessage:
    """Build the message for one event (headers as bytes, key, JSON value)."""
    attributes = {
        "id": event_id,
        "type": event_type,
        "source": source_for(service),
        "specversion": SPECVERSION,
        "time": time,
        "datacontenttype": "application/json",
    }
    message = to_binary(CloudEvent(attributes, data), _FORMAT, key_mapper=lambda _event: key)
    if correlation_id:
        message.headers[CORRELATION_HEADER] = correlation_id.encode()
    return message


def header_dict(headers) -> dict[str, bytes]:
    """Return confluent-kafka's header list as a dict (last value wins)."""
    return {name: value for name, value in (headers or []) if value is not None}


def decode(
    *, value: bytes | None, key: bytes | None, headers, topic: str = "", partition: int = -1, offset: int = -1
) -> Event:
    """Parse a consumed message into an `Event`; raise DecodeError when it is not one."""
    raw = header_dict(headers)
    try:
        text_headers = {name: data.decode("utf-8") for name, data in raw.items()}
        cloud_event = from_binary(KafkaMessage(headers=raw, key=None, value=value or b""), _FORMAT)
    except Exception as exc:  # the SDK raises several types for malformed attributes
        raise DecodeError(f"not a CloudEvent: {exc}") from exc
    if cloud_event.get_specversion() != SPECVERSION:
        raise DecodeError(f"unsupported specversion {cloud_event.get_specversion()!r}")
    data = cloud_event.get_data()
    if not isinstance(data, dict):
        raise DecodeError("value is not a JSON object")
    try:
        key_text = key.decode("utf-8") if key is not None else ""
    except UnicodeDecodeError as exc:
        raise DecodeError("key is not UTF-8") from exc
    return Event(
        id=cloud_event.get_id(),
        type=cloud_event.get_type(),
        source=cloud_event.get_source(),
        time=cloud_event.get_time(),
        key=key_text,
        data=data,
        correlation_id=text_headers.get(CORRELATION_HEADER) or None,
        topic=topic,
        partition=partition,
        offset=offset,
        headers=text_headers,
    )


def decode_message(message) -> Event:
    """Decode a confluent-kafka `Message`."""
    return decode(
        value=message.value(),
        key=message.key(),
        headers=message.headers(),
        topic=message.topic(),
        partition=message.partition(),
        offset=message.offset(),
    )
