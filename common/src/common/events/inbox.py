"""The inbox: ids of events whose effects committed; a repeat is skipped (see apply.py).

Retention: inbox rows are purged after EVENTS_INBOX_RETENTION_HOURS, which must stay
longer than any producer keeps its outbox rows (EVENTS_OUTBOX_RETENTION_HOURS): a relay
that finds the broker lost its data re-sends every retained outbox row, and each of them
must still find its inbox row, or it would apply twice. `inbox_retention_hours()` enforces
it: it is never less than the outbox retention plus a day.
"""

import logging
from datetime import timedelta

from django.utils import timezone

from common.events import config
from common.events.models import InboxEvent

logger = logging.getLogger(__name__)


def inbox_purge() -> int:
    """Delete inbox rows older than the inbox retention; return how many."""
    cutoff = timezone.now() - timedelta(hours=config.inbox_retention_hours())
    deleted, _ = InboxEvent.objects.filter(handled_at__lt=cutoff).delete()
    if deleted:
        logger.info("inbox rows purged", extra={"deleted": deleted})
    return deleted
