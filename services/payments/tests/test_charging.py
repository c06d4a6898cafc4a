"""order-created → one charge through the provider → payment-completed."""

import threading
import uuid

import pytest
from django.db import IntegrityError, connection

from common.events.testing import deliver, published
from payments.handlers import HANDLERS
from payments.models import Payment
from payments.providers import PaymentProvider, SimulatorProvider, payment_provider
from tests.conftest import order_created

pytestmark = pytest.mark.django_db


def test_tok_visa_is_charged_and_reported_successful():
    order = order_created(method="tok_visa", total="39.98")

    deliver(HANDLERS, "order-created", order, key=order["orderId"])

    payment = Payment.objects.get(order_id=order["orderId"])
    assert (payment.status, str(payment.amount), payment.user_id) == ("SUCCESS", "39.98", order["userId"])
    [event] = published("payment-completed")
    assert event.key == order["orderId"]
    assert event.payload["orderId"] == order["orderId"]
    assert event.payload["paymentId"] == str(payment.id)
    assert event.payload["status"] == "SUCCESS"
    assert event.payload["amount"] == "39.98"
    assert event.payload["userId"] == order["userId"]
    assert event.payload["items"] == [{"product": order["items"][0]["product"], "quantity": 2}]
    assert "processedAt" in event.payload
    assert "reason" not in event.payload


@pytest.mark.parametrize(
    ("token", "reason"), [("tok_chargeDeclined", "card_declined"), ("tok_unknown", "invalid_payment_method")]
)
def test_a_declined_or_unknown_token_fails_the_payment(token, reason):
    order = order_created(method=token)

    deliver(HANDLERS, "order-created", order)

    assert Payment.objects.get(order_id=order["orderId"]).status == "FAILED"
    [event] = published("payment-completed")
    assert (event.payload["status"], event.payload["reason"]) == ("FAILED", reason)


def test_a_redelivered_order_created_charges_once():
    order = order_created()
    event_id = str(uuid.uuid4())

    applied = [deliver(HANDLERS, "order-created", order, event_id=event_id) for _ in range(3)]

    assert applied == [True, False, False]
    assert Payment.objects.filter(order_id=order["orderId"]).count() == 1
    assert len(published("payment-completed")) == 1


def test_a_retried_order_created_charges_once_and_repeats_the_result():
    order = order_created()

    deliver(HANDLERS, "order-created", order)
    deliver(HANDLERS, "order-created", order)

    assert Payment.objects.filter(order_id=order["orderId"]).count() == 1
    first, second = published("payment-completed")
    assert first.event_id != second.event_id
    assert first.payload == second.payload


def test_the_database_refuses_a_second_payment_for_an_order():
    order_id = str(uuid.uuid4())
    Payment.objects.create(order_id=order_id, user_id="u", amount="1.00", status="SUCCESS")

    with pytest.raises(IntegrityError):
        Payment.objects.create(order_id=order_id, user_id="u", amount="1.00", status="SUCCESS")


@pytest.mark.django_db(transaction=True)
def test_concurrent_order_created_events_charge_once():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serializes every writer")
    order = order_created()
    barrier = threading.Barrier(4)
    errors = []

    def consume():
        try:
            barrier.wait()
            deliver(HANDLERS, "order-created", order)
        except Exception as error:  # noqa: BLE001 (collected for the assertion below)
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=consume) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Payment.objects.filter(order_id=order["orderId"]).count() == 1
    payment_ids = {row.payload["paymentId"] for row in published("payment-completed")}
    assert payment_ids == {str(Payment.objects.get(order_id=order["orderId"]).id)}


def test_the_simulator_is_a_payment_provider_and_the_configured_one():
    simulator: PaymentProvider = SimulatorProvider(latency_ms=0)

    assert simulator.charge(amount=1, token="tok_visa", idempotency_key="k").succeeded
    assert not simulator.charge(amount=1, token="tok_chargeDeclined", idempotency_key="k").succeeded
    assert simulator.refund(reference="r", amount=1, idempotency_key="k").succeeded
    assert isinstance(payment_provider(), SimulatorProvider)
