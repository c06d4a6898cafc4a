"""`manage.py replay`: make this service's consumer group reprocess a topic from an offset or a time."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from common.events import config
from common.events.replay import rewind_group


class Command(BaseCommand):
    help = (
        "Rewind a consumer group on one event type's topic to an offset or a timestamp; stop the "
        "group's consumers first. Events already applied are skipped by the inbox when re-read."
    )

    def add_arguments(self, parser):
        parser.add_argument("--event-type", required=True, help="event type whose topic to replay")
        start = parser.add_mutually_exclusive_group(required=True)
        start.add_argument("--from-offset", type=int, help="offset to restart from (each chosen partition)")
        start.add_argument("--from-time", help="ISO 8601 time with zone: restart at the first message since")
        parser.add_argument("--partition", type=int, action="append", dest="partitions", help="repeatable")
        parser.add_argument("--group", help="consumer group (default: this service's)")

    def handle(self, *args, **options):
        when = None
        if options["from_time"] is not None:
            when = parse_datetime(options["from_time"])
            if when is None or when.tzinfo is None:
                raise CommandError(
                    "--from-time must be an ISO 8601 time with a zone, e.g. 2026-01-31T12:00:00Z"
                )
        if options["from_offset"] is not None and options["from_offset"] < 0:
            raise CommandError("--from-offset must be >= 0")
        group = options["group"] or config.group_id()
        topic = config.topic_for(options["event_type"])
        try:
            offsets = rewind_group(
                group=group,
                topic=topic,
                offset=options["from_offset"],
                when=when,
                partitions=options["partitions"],
            )
        except Exception as exc:
            raise CommandError(
                f"cannot rewind {group} on {topic} (are its consumers stopped?): {exc}"
            ) from exc
        positions = ", ".join(f"{partition}:{offset}" for partition, offset in sorted(offsets.items()))
        self.stdout.write(f"{group} on {topic} rewound to {positions}")
