"""Outside effects of the notifications service, run by the event worker after each commit.

`notification_send_due` takes the PENDING notifications that are due, over the worker's
SMTP session (kept between runs while used within NOTIFICATION_SMTP_REUSE_SECONDS), and
settles each one on its own:

- accepted by the server → SENT and `notification-sent`, recorded every few mails
  (MARK_SENT_EVERY) in one short transaction;
- a 5xx about that message (e.g. 550 for its mailbox) → FAILED, and its source event is
  dead-lettered to `<type>.dlq` (kind `effect`);
- a transient failure (connection error, timeout, 4xx) → retried for that message only,
  after `common.backoff.backoff_seconds(attempts)`; failing for longer than
  NOTIFICATION_MAX_RETRY_SECONDS it is PARKED (an admin action re-queues it).

Rows are claimed in a short transaction (`SELECT … FOR UPDATE SKIP LOCKED`, then their
`next_attempt_at` moved NOTIFICATION_CLAIM_SECONDS ahead), so two workers never take the
same one, and a worker that dies mid-run leaves them due again once the claim runs out.
The only repeat left is a crash between the server's acceptance and the SENT commit: those
mails (at most MARK_SENT_EVERY) go out again with the same Message-ID.
"""

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from common.backoff import backoff_seconds
from common.bulk import bulk_update
from common.events import Event, dead_letter, publish_many
from common.events.effects import claim_due
from common.observability import metrics, tracing
from notifications.mailer import SessionUnavailable, SmtpSession, classify, email_for, server_address
from notifications.models import Notification

logger = logging.getLogger(__name__)

Status = Notification.Status
MARK_SENT_EVERY = 10


def _claim(limit: int) -> list[Notification]:
    """Take up to `limit` due notifications for this worker, oldest due first."""
    return claim_due(
        Notification.objects.filter(status=Status.PENDING),
        limit=limit,
        claim_seconds=settings.NOTIFICATION_CLAIM_SECONDS,
        order_by=("next_attempt_at", "created_at"),
    )


def _cause(notification: Notification, trace_headers: dict) -> Event:
    """The source event, as far as what it caused needs it (correlation id, trace context)."""
    return Event(
        id=notification.source_event_id,
        type=notification.source_event_type,
        source="",
        time=None,
        key=notification.source_event_key,
        data=notification.source_event_data,
        correlation_id=notification.correlation_id,
        context=trace_headers,
    )


def _mark_sent(sent: list[tuple[Notification, dict]]) -> None:
    """Record accepted mails as SENT and announce each with `notification-sent`, in one transaction."""
    if not sent:
        return
    sent_at = timezone.now()
    with transaction.atomic():
        ids = [notification.id for notification, _ in sent]
        pending = set(
            Notification.objects.select_for_update()
            .filter(id__in=ids, status=Status.PENDING)
            .values_list("id", flat=True)
        )
        Notification.objects.filter(id__in=pending).update(status=Status.SENT, sent_at=sent_at, last_error="")
        publish_many(
            [
                (
                    "notification-sent",
                    notification.user_id,
                    {
                        "notificationId": str(notification.id),
                        "userId": notification.user_id,
                        "kind": notification.kind,
                        "sourceEventId": notification.source_event_id,
                        "sentAt": sent_at,
                    },
                    _cause(notification, trace_headers),
                )
                for notification, trace_headers in sent
                if notification.id in pending
            ]
        )
    metrics.effect_outcome("mail", "done", len(pending))


def _mark_failed(notification: Notification, reason: str) -> None:
    """Refused for good: FAILED, and the event that asked for it dead-lettered."""
    with transaction.atomic():
        updated = Notification.objects.filter(id=notification.id, status=Status.PENDING).update(
            status=Status.FAILED, last_error=reason[:2000]
        )
        if updated:
            dead_letter(
                event_type=notification.source_event_type,
                key=notification.source_event_key,
                data=notification.source_event_data,
                event_id=notification.source_event_id,
                error=reason,
                kind="effect",
                original_headers={"correlation_id": notification.correlation_id}
                if notification.correlation_id
                else None,
            )
    metrics.effect_outcome("mail", "failed")
    logger.error(
        "notification refused for good",
        extra={"notification_id": str(notification.id), "email_kind": notification.kind, "error": reason},
    )


def _retry_later(notifications: list[Notification], reason: str) -> int:
    """Schedule each for a later try with its own backoff, or park it; return how many parked."""
    now = timezone.now()
    limit = timedelta(seconds=settings.NOTIFICATION_MAX_RETRY_SECONDS)
    retried, parked = [], []
    for notification in notifications:
        first = notification.first_failed_at or now
        notification.first_failed_at, notification.last_error = first, reason[:2000]
        if now - first > limit:
            parked.append(notification.id)
            continue
        delay = backoff_seconds(
            notification.attempts,
            base=settings.NOTIFICATION_RETRY_BASE_SECONDS,
            cap=settings.NOTIFICATION_RETRY_CAP_SECONDS,
        )
        notification.next_attempt_at = now + timedelta(seconds=delay)
        retried.append(notification)
    with transaction.atomic():
        bulk_update(retried, ["next_attempt_at", "first_failed_at", "last_error"])
        if parked:
            Notification.objects.filter(id__in=parked, status=Status.PENDING).update(
                status=Status.PARKED, last_error=reason[:2000]
            )
    metrics.effect_outcome("mail", "retried", len(retried))
    if parked:
        metrics.effect_outcome("mail", "parked", len(parked))
        logger.warning("notifications parked", extra={"count": len(parked), "error": reason[:500]})
    return len(parked)


def _release(notifications: list[Notification]) -> None:
    """Hand claimed but untried notifications back, due now, their attempt not counted."""
    Notification.objects.filter(id__in=[n.id for n in notifications], status=Status.PENDING).update(
        next_attempt_at=timezone.now(), attempts=F("attempts") - 1
    )


def _send_one(notification: Notification, session: SmtpSession, sent: list) -> int:
    """Send one mail in the trace of the event that asked for it; return 1 if it is settled.

    An accepted mail is appended to `sent` (marked SENT by the caller, a few at a time).
    Raises SessionUnavailable when there is no SMTP session at all.
    """
    with tracing.continue_trace("mail send", notification.trace_headers):
        trace_headers = tracing.outgoing_trace_headers()
        try:
            session.send(email_for(notification))
        except SessionUnavailable:
            raise
        except Exception as error:  # noqa: BLE001 - classified: each message settles on its own
            failure = classify(error)
            if not failure.permanent:
                return _retry_later([notification], failure.reason)
            _mark_failed(notification, failure.reason)
            return 1
    sent.append((notification, trace_headers))
    return 1


def _deliver(claimed: list[Notification], session: SmtpSession, deadline: float) -> tuple[int, bool]:
    """Send the claimed notifications one by one; return (how many settled, whether to stop).

    Accepted mails are marked SENT every MARK_SENT_EVERY mails and at the end: one
    transaction for several, and at most that many sent again after a crash in between
    (with the same Message-ID).
    """
    settled, sent = 0, []
    try:
        for index, notification in enumerate(claimed):
            if time.monotonic() > deadline:
                _release(claimed[index:])
                return settled, True
            try:
                settled += _send_one(notification, session, sent)
            except SessionUnavailable as error:
                # No session at all: this message and the rest of the claim wait alike.
                settled += _retry_later(claimed[index:], f"SMTP unavailable: {error}")
                return settled, True
            if len(sent) >= MARK_SENT_EVERY:
                _mark_sent(sent)
                sent = []
        return settled, False
    finally:
        _mark_sent(sent)


_sessions: list[SmtpSession] = []  # this worker's session, kept between runs


def _session() -> SmtpSession:
    """Return this worker's SMTP session: reused while recently used, else opened anew.

    Reusing it spares a connect, EHLO and QUIT per run (a run follows every batch); an
    idle one is closed, since servers drop idle sessions.
    """
    if _sessions:
        session = _sessions[0]
        if (
            session.server == server_address()
            and session.idle_for() <= settings.NOTIFICATION_SMTP_REUSE_SECONDS
        ):
            return session
        session.close()
        _sessions.clear()
    _sessions.append(SmtpSession())
    return _sessions[0]


def session_close() -> None:
    """Close this worker's SMTP session (a test's server changes; a worker stopping says QUIT)."""
    while _sessions:
        _sessions.pop().close()


def notification_send_due() -> int:
    """Send every due notification over this worker's SMTP session; return how many were settled."""
    started = time.monotonic()
    # Stop well within the claim, so no other worker can take a row while it is being sent.
    deadline = started + min(settings.NOTIFICATION_RUN_SECONDS, settings.NOTIFICATION_CLAIM_SECONDS / 2)
    batch_size = settings.NOTIFICATION_SEND_BATCH
    session = _session()
    settled = 0
    try:
        while time.monotonic() <= deadline:
            claimed = _claim(batch_size)
            if not claimed:
                break
            done, stop = _deliver(claimed, session, deadline)
            settled += done
            if stop or len(claimed) < batch_size:
                break
    except BaseException:
        session.close()
        raise
    if settings.NOTIFICATION_SMTP_REUSE_SECONDS <= 0:
        session.close()
    return settled


EFFECTS = [notification_send_due]
