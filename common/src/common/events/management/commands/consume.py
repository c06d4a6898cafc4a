"""`manage.py consume`: run this service's consumer group over the topics of its handlers."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string

from common.events.consumer import EventConsumer
from common.events.effects import EffectRunner
from common.events.management.commands._signals import stop_on_signals


def service_handlers() -> dict:
    """Return the HANDLERS dict named by the EVENT_HANDLERS setting (empty when unset)."""
    path = getattr(settings, "EVENT_HANDLERS", "")
    return dict(import_string(path)) if path else {}


class Command(BaseCommand):
    help = (
        "Consume this service's events (EVENT_HANDLERS) and run its effects (EVENT_EFFECTS) until "
        "SIGTERM; bad events go to <topic>.dlq."
    )

    def add_arguments(self, parser):
        parser.add_argument("--group", help="consumer group (default KAFKA_GROUP_ID or <service>-service)")

    def handle(self, *args, **options):
        consumer = EventConsumer(service_handlers(), group=options["group"], effects=EffectRunner())
        with stop_on_signals(consumer.stop):
            consumer.run()
