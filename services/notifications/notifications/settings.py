"""Settings of the notifications service: the shared base plus what is its own."""

from common.settings.base import *
from common.settings.env import env

INSTALLED_APPS = [*INSTALLED_APPS, "notifications"]

EVENT_HANDLERS = "notifications.handlers.HANDLERS"
# Sending mail is an outside effect: done after the commit by the event worker.
EVENT_EFFECTS = "notifications.effects.EFFECTS"

# A mail failing for a transient reason (connection, timeout, 4xx) is retried with backoff
# (base·2^(n-1) seconds, capped) and parked once it has been failing for longer than this.
NOTIFICATION_MAX_RETRY_SECONDS = env.int("NOTIFICATION_MAX_RETRY_SECONDS", default=3600)
NOTIFICATION_RETRY_BASE_SECONDS = env.float("NOTIFICATION_RETRY_BASE_SECONDS", default=1.0)
NOTIFICATION_RETRY_CAP_SECONDS = env.float("NOTIFICATION_RETRY_CAP_SECONDS", default=300.0)
# One run: at most this many rows claimed at a time, for at most this long; a claimed row
# is not taken by another worker for NOTIFICATION_CLAIM_SECONDS.
NOTIFICATION_SEND_BATCH = env.int("NOTIFICATION_SEND_BATCH", default=100)
NOTIFICATION_RUN_SECONDS = env.float("NOTIFICATION_RUN_SECONDS", default=10.0)
NOTIFICATION_CLAIM_SECONDS = env.int("NOTIFICATION_CLAIM_SECONDS", default=120)
# An SMTP session used within this many seconds is reused by the next run (0: one per run).
NOTIFICATION_SMTP_REUSE_SECONDS = env.float("NOTIFICATION_SMTP_REUSE_SECONDS", default=5.0)
