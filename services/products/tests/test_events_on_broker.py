"""Product events reach the Kafka broker as CloudEvents with the documented payloads."""

import time
import uuid

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition
from confluent_kafka.admin import AdminClient

from common.events import config
from common.events.messages import decode_message
from common.events.relay import Relay
from common.events.schemas import validate_payload

pytestmark = [pytest.mark.broker, pytest.mark.django_db]

EVENT_TYPES = ["product-created", "product-updated", "product-deleted"]


@pytest.fixture
def topic_prefix():
    prefix = f"products-test-{uuid.uuid4().hex[:8]}-"
    yield prefix
    AdminClient(config.admin_config()).delete_topics([f"{prefix}{name}" for name in EVENT_TYPES])


def consume(topics: list[str], expected: int, timeout: float = 20.0) -> list:
    consumer = Consumer(config.consumer_config(f"products-test-{uuid.uuid4().hex}"))
    try:
        metadata = consumer.list_topics(timeout=10)
        consumer.assign(
            [
                TopicPartition(topic, partition, OFFSET_BEGINNING)
                for topic in topics
                for partition in metadata.topics[topic].partitions
            ]
        )
        messages, deadline = [], time.monotonic() + timeout
        while len(messages) < expected and time.monotonic() < deadline:
            message = consumer.poll(0.2)
            if message is not None and not message.error():
                messages.append(message)
        return messages
    finally:
        consumer.close()


def test_create_update_delete_land_on_their_topics(admin_api, topic_prefix):
    created = admin_api.post(
        "/api/products/", {"name": "Lamp", "price": "19.99", "stock": 2}, format="json"
    ).json()
    admin_api.patch(f"/api/products/{created['id']}/", {"price": "17.50"}, format="json")
    admin_api.delete(f"/api/products/{created['id']}/")

    assert Relay(prefix=topic_prefix).send_pending() == 3
    messages = consume([f"{topic_prefix}{name}" for name in EVENT_TYPES], expected=3)

    events = {event.type: event for event in map(decode_message, messages)}
    assert sorted(events) == sorted(EVENT_TYPES)
    for message in messages:
        headers = dict(message.headers())
        assert {"ce_id", "ce_type", "ce_source", "ce_specversion", "ce_time"} <= set(headers)
        assert headers["ce_source"] == b"/commercex/products"
        assert message.key() == created["id"].encode()
    for event_type, event in events.items():
        validate_payload(event_type, event.data)
        assert event.data["productId"] == created["id"]
    assert events["product-created"].data["stock"] == 2
    assert events["product-created"].data["price"] == "19.99"
    assert events["product-updated"].data["price"] == "17.50"
