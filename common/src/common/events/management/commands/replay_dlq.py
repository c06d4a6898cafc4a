"""`manage.py replay_dlq`: re-publish dead letters to their topic, after the cause was fixed."""

import threading

from django.core.management.base import BaseCommand, CommandError

from common.events import config
from common.events.dlq import replay_dead_letters
from common.events.management.commands._signals import stop_on_signals
from common.events.management.commands.consume import service_handlers


class Command(BaseCommand):
    help = "Re-publish the dead letters this service's consumer group gave up on to their original topic."

    def add_arguments(self, parser):
        parser.add_argument(
            "--event-type",
            action="append",
            dest="event_types",
            help="event type whose dead letters to replay (repeatable; default: every handled type)",
        )
        parser.add_argument(
            "--group", help="consumer group whose dead letters to replay (default: this service's)"
        )
        parser.add_argument("--all-groups", action="store_true", help="replay dead letters of every group")
        parser.add_argument(
            "--dry-run", action="store_true", help="list the dead letters without replaying them"
        )
        parser.add_argument(
            "--idle-seconds", type=float, default=3.0, help="stop after this long without a letter"
        )

    def handle(self, *args, **options):
        event_types = options["event_types"] or sorted(service_handlers())
        if not event_types:
            raise CommandError("no event types: pass --event-type or set EVENT_HANDLERS")
        stopping = threading.Event()
        with stop_on_signals(stopping.set):
            count = replay_dead_letters(
                topics=[config.topic_for(event_type) for event_type in event_types],
                group=options["group"],
                all_groups=options["all_groups"],
                idle_seconds=options["idle_seconds"],
                dry_run=options["dry_run"],
                stopping=stopping,
            )
        verb = "found" if options["dry_run"] else "replayed"
        self.stdout.write(f"{count} dead letter(s) {verb}")
