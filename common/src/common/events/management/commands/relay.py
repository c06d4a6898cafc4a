"""`manage.py relay`: send this service's outbox to Kafka until SIGTERM."""

from django.core.management.base import BaseCommand

from common.events.management.commands._signals import stop_on_signals
from common.events.relay import Relay


class Command(BaseCommand):
    help = "Send recorded events (the transactional outbox) to Kafka, in order, until stopped."

    def handle(self, *args, **options):
        relay = Relay()
        with stop_on_signals(relay.stop):
            relay.run()
