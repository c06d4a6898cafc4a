"""`manage.py work`: the service's event worker — its consumer, its effects and its relay in one process."""

import threading

from django.core.management.base import BaseCommand

from common.events.consumer import EventConsumer
from common.events.effects import EffectRunner
from common.events.management.commands._signals import stop_on_signals
from common.events.management.commands.consume import service_handlers
from common.events.relay import Relay


class Command(BaseCommand):
    help = "Run this service's consumer (with its effects) and its outbox relay in one process until SIGTERM."

    def add_arguments(self, parser):
        parser.add_argument("--group", help="consumer group (default KAFKA_GROUP_ID or <service>-service)")

    def handle(self, *args, **options):
        consumer = EventConsumer(service_handlers(), group=options["group"], effects=EffectRunner())
        relay = Relay()
        relay_thread = threading.Thread(target=relay.run, name="relay", daemon=True)

        def stop() -> None:
            consumer.stop()
            relay.stop()

        with stop_on_signals(stop):
            relay_thread.start()
            try:
                consumer.run()
            finally:
                relay.stop()
                relay_thread.join(15)
