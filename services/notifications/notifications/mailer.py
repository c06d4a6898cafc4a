"""One SMTP session for a run of sends, and what an SMTP failure means for one message."""

import contextlib
import smtplib
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from notifications.models import Notification


class SessionUnavailable(Exception):
    """The SMTP server could not be reached or refused the session (connect, EHLO, TLS, login)."""


@dataclass(frozen=True)
class Failure:
    permanent: bool  # a 5xx answer about this message: never retried
    reason: str


def _reply(code: int, message) -> str:
    text = message.decode(errors="replace") if isinstance(message, bytes) else str(message)
    return f"{code} {text}".strip()


def classify(error: Exception) -> Failure:
    """Say whether `error`, raised while sending one message, is permanent for that message.

    Permanent: a 5xx reply to its recipient (RCPT) or to its content (DATA), or a message
    that cannot even be encoded. Everything else (connection errors, timeouts, 4xx replies,
    a 5xx to MAIL FROM, which is about our own sender address) is transient.
    """
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        replies = list(error.recipients.values())
        reason = "SMTP " + "; ".join(_reply(code, message) for code, message in replies)
        return Failure(bool(replies) and all(500 <= code < 600 for code, _ in replies), reason)
    if isinstance(error, smtplib.SMTPDataError):
        return Failure(500 <= error.smtp_code < 600, "SMTP " + _reply(error.smtp_code, error.smtp_error))
    if isinstance(error, smtplib.SMTPResponseException):
        return Failure(False, "SMTP " + _reply(error.smtp_code, error.smtp_error))
    if isinstance(error, OSError):  # every smtplib.SMTPException, refused connections, timeouts
        return Failure(False, f"{type(error).__name__}: {error}")
    return Failure(True, f"message not sendable: {type(error).__name__}: {error}")


def email_for(notification: Notification) -> EmailMessage:
    return EmailMessage(
        subject=notification.subject,
        body=notification.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.email],
        headers={
            "Message-ID": notification.message_id,
            "X-CommerceX-Notification": str(notification.id),
            "X-CommerceX-Kind": notification.kind,
        },
    )


def server_address() -> tuple:
    """What a session is opened to: a session for another server (settings changed) is not reused."""
    return (settings.EMAIL_BACKEND, settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_HOST_USER)


class SmtpSession:
    """Django's configured email backend, opened once and reused for every message of a run.

    Only when the server dropped the connection (smtplib closes it after a 421, or on a
    broken socket) is it opened again, for the next message.
    """

    def __init__(self) -> None:
        self.backend = get_connection(fail_silently=False)
        self.server = server_address()
        self.is_open = False
        self.last_used = 0.0

    def idle_for(self) -> float:
        return time.monotonic() - self.last_used

    def _open(self) -> None:
        if self.is_open:
            return
        try:
            self.backend.open()
        except Exception as error:
            self.close()
            raise SessionUnavailable(f"{type(error).__name__}: {error}") from error
        self.is_open = True

    def send(self, message: EmailMessage) -> None:
        """Send one message; raise SessionUnavailable, or the error the send raised."""
        self._open()
        try:
            if self.backend.send_messages([message]) != 1:
                raise smtplib.SMTPException("the email backend did not send the message")
        finally:
            self.last_used = time.monotonic()
            connection = getattr(self.backend, "connection", False)
            if connection is None or getattr(connection, "sock", True) is None:
                self.close()  # dropped: reopen for the next message

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.backend.close()
        if hasattr(self.backend, "connection"):
            self.backend.connection = None
        self.is_open = False
