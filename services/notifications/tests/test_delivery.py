"""Per-message outcomes against a real SMTP server: 550 fails one mail, 421 delays one, others flow."""

import time

import pytest

from common.events.testing import dead_letters, deliver_batch, make_event, published
from notifications.handlers import HANDLERS
from notifications.models import Notification
from tests.events import (
    new_id,
    order_confirmed_data,
    order_confirmed_event,
    payment_refunded_data,
    send_due,
    user_registered,
)
from tests.mailserver import silent_server

pytestmark = pytest.mark.django_db

REFUSED, DEFERRED = "refused@example.com", "deferred@example.com"
RETRY_SECONDS = 0.2


@pytest.fixture(autouse=True)
def _short_backoff(settings):
    settings.NOTIFICATION_RETRY_BASE_SECONDS = RETRY_SECONDS
    settings.NOTIFICATION_RETRY_CAP_SECONDS = RETRY_SECONDS


def _status(email: str) -> str:
    return Notification.objects.get(email=email).status


def _ids_received(smtp) -> list[str]:
    return [message["Message-ID"] for message in smtp.messages]


def _wait_until_due() -> None:
    time.sleep(RETRY_SECONDS * 1.2)  # backoff is RETRY_SECONDS ± 10 %


def test_a_refused_and_a_deferred_mailbox_hold_up_no_one_else_even_with_a_poison_event(smtp):
    smtp.refuse.add(REFUSED)
    smtp.defer.add(DEFERRED)
    known = new_id()
    user_registered(known, "known@example.com")
    send_due()
    smtp.messages.clear()
    good = [f"good{n}@example.com" for n in range(4)]
    confirmed = [order_confirmed_event(new_id(), new_id(), email) for email in [*good[:2], REFUSED, DEFERRED]]
    refund_ok = make_event("payment-refunded", payment_refunded_data(new_id(), known), key="o")
    poison = make_event("payment-refunded", payment_refunded_data(new_id(), new_id()), key="p")  # no address
    batch = [*confirmed, refund_ok, poison, *[order_confirmed_event(new_id(), new_id(), e) for e in good[2:]]]

    applied = deliver_batch(HANDLERS, batch)
    assert smtp.messages == []  # nothing is sent inside the batch transaction
    send_due()

    assert [failure.event.id for failure in applied.failures] == [poison.id]
    assert sorted(m["X-Envelope-To"] for m in smtp.messages) == sorted([*good, "known@example.com"])
    assert _status(REFUSED) == "FAILED"
    assert "550" in Notification.objects.get(email=REFUSED).last_error
    refused_event = confirmed[2]
    [letter] = dead_letters("order-confirmed")
    assert letter.topic == "order-confirmed.dlq"
    assert (letter.key, letter.payload) == (refused_event.key, refused_event.data)
    assert letter.headers["ce_id"] == refused_event.id
    assert letter.headers["dlq_error"] == "effect"
    assert "550" in letter.headers["dlq_error_message"]
    assert [d.headers["ce_id"] for d in dead_letters("payment-refunded")] == [poison.id]
    deferred = Notification.objects.get(email=DEFERRED)
    assert (deferred.status, deferred.attempts) == ("PENDING", 1)
    assert "421" in deferred.last_error

    send_due()  # at once again: the deferred mail waits for its backoff, nothing is re-sent
    assert smtp.rcpt_attempts[DEFERRED] == 1
    assert smtp.rcpt_attempts[REFUSED] == 1
    assert len(smtp.messages) == 5

    smtp.defer.clear()  # the server recovers
    _wait_until_due()
    send_due()
    deliver_batch(HANDLERS, batch)  # the whole batch redelivered: the inbox skips it
    send_due()

    assert len(smtp.received(DEFERRED)) == 1
    assert smtp.received(REFUSED) == []
    received = _ids_received(smtp)
    assert len(received) == len(set(received)) == 6  # every other mail exactly once
    sent = Notification.objects.filter(status="SENT").exclude(kind="welcome")
    assert set(received) == set(sent.values_list("message_id", flat=True))
    sent_events = published("notification-sent")
    assert len(sent_events) == Notification.objects.filter(status="SENT").count() == 7  # + the welcome
    refused_id = str(Notification.objects.get(email=REFUSED).id)
    assert refused_id not in {e.payload["notificationId"] for e in sent_events}


def test_one_connection_carries_every_mail_of_a_run(smtp):
    events = [order_confirmed_event(new_id(), new_id(), f"c{n}@example.com") for n in range(5)]
    deliver_batch(HANDLERS, events)

    assert send_due() == 5

    assert smtp.sessions == 1
    assert len(smtp.messages) == 5


def test_after_a_421_the_run_reconnects_for_the_next_mail(smtp):
    smtp.defer.add(DEFERRED)
    emails = ["a@example.com", DEFERRED, "b@example.com"]
    deliver_batch(HANDLERS, [order_confirmed_event(new_id(), new_id(), email) for email in emails])

    assert send_due() == 2

    assert sorted(m["X-Envelope-To"] for m in smtp.messages) == ["a@example.com", "b@example.com"]
    assert smtp.sessions == 2  # smtplib drops the connection after a 421


def test_a_mail_failing_for_longer_than_the_limit_is_parked_and_an_admin_requeues_it(
    smtp, settings, admin_client
):
    settings.NOTIFICATION_MAX_RETRY_SECONDS = 0
    smtp.defer.add(DEFERRED)
    deliver_batch(HANDLERS, [("order-confirmed", order_confirmed_data(new_id(), new_id(), DEFERRED))])

    send_due()
    _wait_until_due()
    assert send_due() == 1  # failing for longer than the limit now: parked (settled)
    notification = Notification.objects.get()
    assert (notification.status, notification.attempts) == ("PARKED", 2)
    _wait_until_due()
    send_due()
    assert smtp.rcpt_attempts[DEFERRED] == 2  # parked: never tried again on its own

    smtp.defer.clear()
    response = admin_client.post(
        "/admin/notifications/notifications/notification/",
        {"action": "requeue", "_selected_action": [str(notification.id)]},
        follow=True,
    )
    assert response.status_code == 200
    assert Notification.objects.get().status == "PENDING"
    assert send_due() == 1

    assert len(smtp.received(DEFERRED)) == 1
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("SENT", 1)
    assert len(published("notification-sent")) == 1


def test_the_admin_lists_notifications_by_status(smtp, admin_client):
    smtp.refuse.add(REFUSED)
    deliver_batch(HANDLERS, [("order-confirmed", order_confirmed_data(new_id(), new_id(), REFUSED))])
    send_due()

    failed = admin_client.get("/admin/notifications/notifications/notification/?status__exact=FAILED")
    sent = admin_client.get("/admin/notifications/notifications/notification/?status__exact=SENT")

    assert REFUSED in failed.content.decode()
    assert REFUSED not in sent.content.decode()


def test_a_server_that_never_answers_is_a_timeout_retried_later(smtp, settings):
    settings.EMAIL_TIMEOUT = 0.3
    deliver_batch(HANDLERS, [("order-confirmed", order_confirmed_data(new_id(), new_id(), "t@example.com"))])

    with silent_server() as port:
        settings.EMAIL_PORT = port
        started = time.monotonic()
        assert send_due() == 0
        assert time.monotonic() - started < 3

    notification = Notification.objects.get()
    assert (notification.status, notification.attempts) == ("PENDING", 1)
    assert "timed out" in notification.last_error.lower()
    assert published("notification-sent") == []
