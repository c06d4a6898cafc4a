"""Write operations of the notifications service: record the emails a batch of events calls for.

Inside the event batch's transaction nothing talks SMTP: each event becomes one PENDING
`Notification` (rendered subject and body, a stable Message-ID, the source event's type,
id, key and payload), inserted in bulk. `notifications.effects.notification_send_due`
sends them after the commit. A repeated or rolled-back batch therefore never repeats a mail.
"""

import logging
from dataclasses import dataclass

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from common.events import Event
from notifications.models import Notification, Recipient, message_id_for

logger = logging.getLogger(__name__)


class UnknownRecipient(Exception):
    """The event names a user whose email address this service has never seen."""


@dataclass(frozen=True)
class Sender:
    """An address (and name, when the event has one) to remember for a user."""

    user_id: str
    email: str
    name: str = ""


@dataclass(frozen=True)
class Intent:
    """One email an event calls for; `email` empty means "the address last seen for the user"."""

    event: Event
    kind: str
    user_id: str
    email: str = ""
    order_id: str = ""


def recipient_remember_many(*, senders: list[Sender]) -> None:
    """Keep the latest address (and name, when given) per user: one upsert per shape.

    Within one call the last sender of a user wins (events come in offset order).
    """
    named = {s.user_id: s for s in senders if s.email and s.name}
    unnamed = {s.user_id: s for s in senders if s.email and not s.name and s.user_id not in named}
    for rows, fields in ((named, ["email", "name", "updated_at"]), (unnamed, ["email", "updated_at"])):
        if rows:
            Recipient.objects.bulk_create(
                [Recipient(user_id=s.user_id, email=s.email, name=s.name) for s in rows.values()],
                update_conflicts=True,
                unique_fields=["user_id"],
                update_fields=fields,
            )


def _render(kind: str, context: dict) -> tuple[str, str]:
    subject = render_to_string(f"notifications/email/{kind}_subject.txt", context)
    body = render_to_string(f"notifications/email/{kind}_body.txt", context)
    return " ".join(subject.split()), body.strip() + "\n"


def _build(intent: Intent, recipient: Recipient | None) -> Notification:
    address = intent.email or (recipient.email if recipient else "")
    if not address:
        raise UnknownRecipient(f"no email address known for user {intent.user_id}")
    name = recipient.name if recipient else ""
    event = intent.event
    subject, body = _render(intent.kind, {"name": name, "email": address, "event": event.data})
    notification = Notification(
        user_id=intent.user_id,
        email=address,
        kind=intent.kind,
        subject=subject,
        body=body,
        order_id=intent.order_id,
        source_event_id=event.id,
        source_event_type=event.type,
        source_event_key=event.key or "",
        source_event_data=event.data,
        correlation_id=event.correlation_id or "",
        trace_headers=dict(event.context),
        next_attempt_at=timezone.now(),
    )
    notification.message_id = message_id_for(notification.id)
    return notification


@transaction.atomic
def notification_record_many(*, intents: list[Intent], senders: list[Sender] = ()) -> list[Notification]:
    """Remember `senders`, then record one PENDING notification per intent not recorded before.

    A fixed number of queries whatever the batch size (the recipients upserts, one read of
    the recorded source events, one of the known recipients, one bulk insert). An intent whose user has
    no known address raises UnknownRecipient (the batch is then retried event by event
    and that event dead-lettered; the others are recorded).
    """
    recipient_remember_many(senders=list(senders))
    source_ids = [intent.event.id for intent in intents]
    recorded = set(
        Notification.objects.filter(source_event_id__in=source_ids).values_list("source_event_id", flat=True)
    )
    fresh = [intent for intent in intents if intent.event.id not in recorded]
    if not fresh:
        return []
    recipients = Recipient.objects.in_bulk({intent.user_id for intent in fresh})
    notifications = [_build(intent, recipients.get(intent.user_id)) for intent in fresh]
    return Notification.objects.bulk_create(notifications)


@transaction.atomic
def notification_requeue(*, notification_ids: list) -> int:
    """Put PARKED or FAILED notifications back in the queue, due now; return how many."""
    return Notification.objects.filter(
        id__in=notification_ids, status__in=[Notification.Status.PARKED, Notification.Status.FAILED]
    ).update(
        status=Notification.Status.PENDING,
        attempts=0,
        first_failed_at=None,
        next_attempt_at=timezone.now(),
    )
