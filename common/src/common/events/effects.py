"""Outside effects (mail, payment provider calls) carried out after the batch that decided them.

A handler records an intent row in the batch transaction; the service's effects (the
`EVENT_EFFECTS` setting names a list of callables) pick due rows and carry them out, each
with a stable key, outside any transaction. The event worker runs them after every batch
that handled an event and every `EVENTS_EFFECTS_INTERVAL` seconds otherwise, so a retried
batch never repeats an outside call and a failing one never holds up a batch.
"""

import logging
import time
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.module_loading import import_string

from common.settings.env import env_float

logger = logging.getLogger(__name__)

MAX_ROUNDS = 20


def service_effects() -> list[Callable[[], int]]:
    """Return the callables named by the EVENT_EFFECTS setting (none when unset)."""
    path = getattr(settings, "EVENT_EFFECTS", "")
    return list(import_string(path)) if path else []


def claim_due(intents: QuerySet, *, limit: int, claim_seconds: float, order_by: tuple[str, ...]) -> list:
    """Take up to `limit` due intents (`next_attempt_at` passed) for this worker, in one short transaction.

    Locked with SKIP LOCKED (two workers never take the same row), their `next_attempt_at`
    moved `claim_seconds` ahead (a worker dying mid-call leaves them due again once the
    claim runs out) and their `attempts` counted.
    """
    now = timezone.now()
    with transaction.atomic():
        rows = list(
            intents.select_for_update(skip_locked=True)
            .filter(next_attempt_at__lte=now)
            .order_by(*order_by)[:limit]
        )
        if rows:
            intents.model.objects.filter(pk__in=[row.pk for row in rows]).update(
                next_attempt_at=now + timedelta(seconds=claim_seconds), attempts=F("attempts") + 1
            )
    for row in rows:
        row.attempts += 1
    return rows


class EffectRunner:
    """Call each effect after a batch, and on a timer when idle; an error waits for the next turn."""

    def __init__(self, effects: list[Callable[[], int]] | None = None) -> None:
        self.effects = service_effects() if effects is None else list(effects)
        self.interval = env_float("EVENTS_EFFECTS_INTERVAL", 1.0)
        self.next_run = 0.0

    def run(self, *, handled: int = 0) -> int:
        """Run the effects after a batch that handled something, or once the interval passed."""
        if not self.effects or (not handled and time.monotonic() < self.next_run):
            return 0
        self.next_run = time.monotonic() + self.interval
        settled = 0
        for effect in self.effects:
            try:
                for _ in range(MAX_ROUNDS):  # more were due than one call takes: go on now
                    done = effect() or 0
                    settled += done
                    if not done:
                        break
            except Exception:
                logger.exception("effect failed; it runs again later", extra={"effect": effect.__qualname__})
                close_old_connections()
        return settled
