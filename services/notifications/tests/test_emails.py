"""What each event sends: recorded by its handler, sent by the mail effect after the commit."""

import pytest

from common.events.models import InboxEvent
from common.events.testing import dead_letters, deliver_batch, make_event, published
from notifications.handlers import HANDLERS
from notifications.models import Notification
from tests.events import (
    new_id,
    order_cancelled,
    order_confirmed,
    order_confirmed_data,
    order_shipped,
    payment_refunded,
    send_due,
    user_registered,
)
from tests.mailserver import free_port

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _quick_retries(settings):
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 0
    settings.NOTIFICATION_RETRY_CAP_SECONDS = 0


def test_registration_sends_a_welcome_email_and_announces_it(mailbox):
    user, event_id = new_id(), new_id()

    user_registered(user, "ann@example.com", name="Ann", event_id=event_id)
    assert mailbox == []  # the handler only records it
    assert published("notification-sent") == []
    assert send_due() == 1

    [message] = mailbox
    assert message["To"] == "ann@example.com"
    assert message["X-Envelope-To"] == "ann@example.com"
    assert message["Subject"] == "Welcome to CommerceX, Ann"
    assert "Hello Ann" in message.get_content()
    notification = Notification.objects.get(user_id=user)
    assert (notification.kind, notification.subject) == ("welcome", "Welcome to CommerceX, Ann")
    assert message["Message-ID"] == notification.message_id == f"<{notification.id}@commercex>"
    assert (notification.status, notification.attempts) == ("SENT", 1)
    assert notification.sent_at is not None
    [sent] = published("notification-sent")
    assert sent.key == user
    assert sent.payload["notificationId"] == str(notification.id)
    assert sent.payload["kind"] == "welcome"
    assert sent.payload["sourceEventId"] == event_id


def test_an_event_delivered_twice_sends_one_email(mailbox):
    event_id = new_id()

    assert user_registered(new_id(), "bob@example.com", event_id=event_id) is True
    send_due()
    assert user_registered(new_id(), "bob@example.com", event_id=event_id) is False
    send_due()

    assert len(mailbox) == 1
    assert Notification.objects.count() == 1
    assert len(published("notification-sent")) == 1


def test_the_notification_record_alone_prevents_a_second_email(mailbox):
    order, user, event_id = new_id(), new_id(), new_id()
    order_confirmed(order, user, "cy@example.com", event_id=event_id)
    send_due()
    InboxEvent.objects.all().delete()  # as if the inbox had lost the event id

    order_confirmed(order, user, "cy@example.com", event_id=event_id)
    send_due()

    assert len(mailbox) == 1
    assert Notification.objects.filter(source_event_id=event_id).count() == 1


def test_order_confirmed_email_lists_the_order(mailbox):
    order, user = new_id(), new_id()

    order_confirmed(order, user, "dee@example.com")
    send_due()

    [message] = mailbox
    assert message["To"] == "dee@example.com"
    assert message["Subject"] == f"Your order {order} is confirmed"
    body = message.get_content()
    assert "2 x Blue mug at 12.50" in body
    assert "Total: 25.00" in body
    assert Notification.objects.get().kind == "order_confirmed"


@pytest.mark.parametrize(
    ("reason", "kind", "subject"),
    [
        ("payment_declined", "payment_declined", "Your payment for order {order} was declined"),
        ("out_of_stock", "out_of_stock", "Your order {order} was cancelled: out of stock"),
        ("customer_request", "order_cancelled", "Your order {order} was cancelled"),
    ],
)
def test_cancellation_email_says_why(mailbox, reason, kind, subject):
    order = new_id()

    order_cancelled(order, new_id(), "eve@example.com", reason=reason)
    send_due()

    [message] = mailbox
    assert message["Subject"] == subject.format(order=order)
    assert Notification.objects.get().kind == kind


def test_order_shipped_email(mailbox):
    order = new_id()

    order_shipped(order, new_id(), "hal@example.com")
    send_due()

    [message] = mailbox
    assert (message["To"], message["Subject"]) == ("hal@example.com", f"Your order {order} is on its way")
    assert Notification.objects.get().kind == "order_shipped"


def test_plain_text_emails_are_not_html_escaped(mailbox):
    user_registered(new_id(), "ivy@example.com", name="Ivy & <Co>")
    send_due()

    [message] = mailbox
    assert message["Subject"] == "Welcome to CommerceX, Ivy & <Co>"
    assert "Hello Ivy & <Co>," in message.get_content()


def test_refund_email_goes_to_the_address_learnt_from_registration(mailbox):
    user, order = new_id(), new_id()
    user_registered(user, "fay@example.com", name="Fay")

    payment_refunded(order, user)
    send_due()

    refund = mailbox[-1]
    assert refund["To"] == "fay@example.com"
    assert refund["Subject"] == f"Refund of 25.00 for order {order}"
    assert "Hello Fay" in refund.get_content()


def test_refund_email_prefers_an_address_in_the_event(mailbox):
    user_registered(user := new_id(), "old@example.com")

    payment_refunded(new_id(), user, userEmail="new@example.com")
    send_due()

    assert mailbox[-1]["To"] == "new@example.com"


def test_refund_for_a_user_with_no_known_address_is_dead_lettered(mailbox):
    order, user = new_id(), new_id()

    assert payment_refunded(order, user) is False
    send_due()

    assert mailbox == []
    assert Notification.objects.count() == 0
    assert InboxEvent.objects.count() == 0  # a replay of the dead letter applies
    [letter] = dead_letters("payment-refunded")
    assert letter.payload["userId"] == user
    assert letter.headers["dlq_error"] == "handler"
    assert "no email address known" in letter.headers["dlq_error_message"]


def test_smtp_down_keeps_the_mail_pending_and_sends_it_once_the_server_is_back(mailbox, settings):
    user, event_id = new_id(), new_id()
    real_port, settings.EMAIL_PORT = settings.EMAIL_PORT, free_port()  # nothing listens there

    assert user_registered(user, "gus@example.com", event_id=event_id) is True
    assert send_due() == 0

    notification = Notification.objects.get()
    assert (notification.status, notification.attempts) == ("PENDING", 1)
    assert "SMTP unavailable" in notification.last_error
    assert notification.first_failed_at is not None
    assert published("notification-sent") == []
    assert InboxEvent.objects.filter(event_id=event_id).count() == 1  # the event is done with

    settings.EMAIL_PORT = real_port
    assert send_due() == 1
    assert send_due() == 0

    assert [message["To"] for message in mailbox] == ["gus@example.com"]
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("SENT", 2)
    assert len(published("notification-sent")) == 1


def test_notification_sent_carries_the_correlation_id_and_trace_of_its_source_event(mailbox):
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    event = make_event(
        "order-confirmed",
        order_confirmed_data(new_id(), new_id(), "tr@example.com"),
        correlation_id="req-7",
    )
    event.headers["traceparent"] = f"00-{trace_id}-00f067aa0ba902b7-01"

    deliver_batch(HANDLERS, [event])
    send_due()

    [sent] = published("notification-sent")
    assert sent.correlation_id == "req-7"
    assert sent.headers["traceparent"][3:35] == trace_id
