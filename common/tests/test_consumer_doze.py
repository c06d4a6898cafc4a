"""The consumer's doze on the local broker: pure logic, with a stand-in for the Kafka consumer."""

import time

from common.events.consumer import Doze


class Partitions:
    """What Doze calls on a confluent-kafka Consumer: assignment, pause, resume."""

    def __init__(self) -> None:
        self.assigned = ["orders[0]", "orders[1]"]
        self.paused: list = []

    def assignment(self):
        return list(self.assigned)

    def pause(self, partitions):
        self.paused = list(partitions)

    def resume(self, partitions):
        self.paused = [p for p in self.paused if p not in partitions]


def test_a_busy_consumer_never_pauses():
    consumer, doze = Partitions(), Doze(after=0.05, pause=0.2)
    for _ in range(5):
        assert doze.poll_timeout(consumer, 1.0) == 1.0
        doze.woke(consumer)
    assert consumer.paused == []


def test_an_idle_consumer_pauses_then_looks_again_after_the_pause():
    consumer, doze = Partitions(), Doze(after=0.05, pause=0.2)
    time.sleep(0.06)
    assert doze.poll_timeout(consumer, 1.0) == 0.2  # dozing: partitions paused
    assert consumer.paused == ["orders[0]", "orders[1]"]
    assert doze.poll_timeout(consumer, 1.0) <= 0.2  # still within the pause
    assert consumer.paused
    time.sleep(0.21)
    assert doze.poll_timeout(consumer, 1.0) == 1.0  # a look: resumed for one poll
    assert consumer.paused == []
    doze.looked(consumer)  # nothing came
    assert doze.poll_timeout(consumer, 1.0) == 0.2  # paused again at once
    assert consumer.paused


def test_a_message_wakes_a_dozing_consumer():
    consumer, doze = Partitions(), Doze(after=0.05, pause=0.2)
    time.sleep(0.06)
    doze.poll_timeout(consumer, 1.0)
    time.sleep(0.21)
    doze.poll_timeout(consumer, 1.0)
    doze.woke(consumer)  # the look found a message
    assert doze.poll_timeout(consumer, 1.0) == 1.0
    assert consumer.paused == []


def test_off_when_after_is_zero():
    consumer, doze = Partitions(), Doze(after=0, pause=0.2)
    doze.last_message -= 3600
    assert doze.poll_timeout(consumer, 1.0) == 1.0
    assert consumer.paused == []
