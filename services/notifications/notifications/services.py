"""Write operations of the notifications service: render, record and send one email per event.

Ordering, and why: the notification row and its `notification-sent` event are written
first and the email is sent last, all inside the transaction that also records the
event in the inbox. If the SMTP server refuses or is down, the exception rolls all of it
back and the consumer retries the event later (an unreachable server raises RetryLater, so
the consumer waits for it instead of dead-lettering; a refusal is dead-lettered): nothing is lost and
nothing is recorded as sent that was not. The one remaining gap is a crash between a
successful send and the commit, which can only lead to the same email being sent twice,
never to it being lost.
"""

import smtplib

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from common.events import RetryLater, publish
from notifications.models import Notification, Recipient


class UnknownRecipient(Exception):
    """The event names a user whose email address this service has never seen."""


def recipient_remember(*, user_id: str, email: str, name: str = "") -> None:
    """Keep the latest address (and name, when given) of a user for events that carry none."""
    if not email:
        return
    defaults = {"email": email, **({"name": name} if name else {})}
    Recipient.objects.update_or_create(user_id=user_id, defaults=defaults)


def _address_of(*, user_id: str, email: str) -> tuple[str, str]:
    recipient = Recipient.objects.filter(user_id=user_id).first()
    name = recipient.name if recipient else ""
    if email:
        return email, name
    if recipient is None:
        raise UnknownRecipient(f"no email address known for user {user_id}")
    return recipient.email, name


def _render(kind: str, context: dict) -> tuple[str, str]:
    subject = render_to_string(f"notifications/email/{kind}_subject.txt", context)
    body = render_to_string(f"notifications/email/{kind}_body.txt", context)
    return " ".join(subject.split()), body.strip() + "\n"


@transaction.atomic
def notification_send(
    *,
    kind: str,
    user_id: str,
    email: str,
    source_event_id: str,
    source_event_type: str,
    context: dict,
    order_id: str = "",
) -> Notification | None:
    """Email the user about one event, once; return None if that event was already notified."""
    if Notification.objects.filter(source_event_id=source_event_id).exists():
        return None
    address, name = _address_of(user_id=user_id, email=email)
    subject, body = _render(kind, {"name": name, "email": address, **context})
    notification = Notification.objects.create(
        user_id=user_id,
        email=address,
        kind=kind,
        subject=subject,
        body=body,
        order_id=order_id,
        source_event_id=source_event_id,
        source_event_type=source_event_type,
    )
    publish(
        event_type="notification-sent",
        key=user_id,
        data={
            "notificationId": str(notification.id),
            "userId": user_id,
            "kind": kind,
            "sourceEventId": source_event_id,
            "sentAt": timezone.now(),
        },
    )
    message = EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[address],
        headers={"X-CommerceX-Notification": str(notification.id), "X-CommerceX-Kind": kind},
    )
    try:
        message.send(fail_silently=False)  # last: a failure rolls back the row and the event
    except (OSError, smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError) as error:
        # The mail server is unreachable: wait for it rather than dead-letter the email.
        raise RetryLater(f"SMTP unavailable: {error}") from error
    return notification
