"""Read the system's Kafka topics from outside, as any other consumer of the contract would."""

import json
import threading
import uuid
from dataclasses import dataclass, field

from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient
from system import wait_until


@dataclass
class Message:
    topic: str
    key: str
    headers: dict[str, str]
    payload: dict
    raw_headers: list = field(default_factory=list, repr=False)
    raw_value: bytes = field(default=b"", repr=False)


class EventLog:
    """Consume `topics` from the beginning in a background thread and keep every message."""

    def __init__(self, bootstrap: str, *, topics: list[str]) -> None:
        self.bootstrap = bootstrap
        self.topics = topics
        self.messages: list[Message] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._assigned = threading.Event()
        self._thread = threading.Thread(target=self._run, name="e2e-event-log", daemon=True)
        self.group_id = f"e2e-observer-{uuid.uuid4().hex[:8]}"

    def start(self) -> None:
        admin = AdminClient({"bootstrap.servers": self.bootstrap})
        # The services create their topics when their consumers start: wait for them.
        wait_until(
            lambda: set(self.topics) <= set(admin.list_topics(timeout=5).topics),
            timeout=60,
            interval=0.5,
            message=f"topics {self.topics} to exist",
        )
        self._thread.start()
        if not self._assigned.wait(30):
            raise AssertionError("the observer consumer got no partitions within 30 s")

    def _run(self) -> None:
        consumer = Consumer(
            {
                "bootstrap.servers": self.bootstrap,
                "group.id": self.group_id,
                "auto.offset.reset": "earliest",
                "enable.auto.commit": False,
                "session.timeout.ms": 2000,
                "heartbeat.interval.ms": 400,
            }
        )
        consumer.subscribe(self.topics, on_assign=lambda _consumer, _partitions: self._assigned.set())
        try:
            while not self._stop.is_set():
                message = consumer.poll(0.2)
                if message is None or message.error():
                    continue
                headers = {
                    name: (value or b"").decode("utf-8", errors="replace")
                    for name, value in (message.headers() or [])
                }
                try:
                    payload = json.loads(message.value() or b"null")
                except ValueError:
                    payload = None
                key = (message.key() or b"").decode("utf-8", errors="replace")
                with self._lock:
                    self.messages.append(
                        Message(
                            message.topic(), key, headers, payload, message.headers() or [], message.value()
                        )
                    )
        finally:
            consumer.close()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def find(self, topic: str, key: str, *, timeout: float = 10) -> list[Message]:
        """Wait for at least one message on `topic` with `key`; return all of them."""

        def found():
            with self._lock:
                return [m for m in self.messages if m.topic == topic and m.key == key]

        return wait_until(found, timeout=timeout, interval=0.05, message=f"a {topic} message with key {key}")

    def count(self, topic: str, key: str) -> int:
        with self._lock:
            return sum(1 for m in self.messages if m.topic == topic and m.key == key)

    def produce(self, topic: str, *, key: bytes, value: bytes, headers: list) -> None:
        """Send one message as any producer could (a replay, or a message no service wrote)."""
        producer = Producer({"bootstrap.servers": self.bootstrap})
        producer.produce(topic, key=key, value=value, headers=headers)
        assert producer.flush(10) == 0, "the broker did not take the message"
