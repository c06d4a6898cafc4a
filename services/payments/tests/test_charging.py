"""order-created → a charge intent → one charge through the provider, after commit → payment-completed."""

import threading
import uuid

import pytest
from django.db import IntegrityError, connection

from common.events.testing import deliver, deliver_batch, make_event, published
from payments.effects import payment_process_due
from payments.handlers import HANDLERS
from payments.models import Payment
from payments.providers import IdempotencyKeyReused, PaymentProvider, SimulatorProvider, payment_provider
from payments.simulator.models import SimulatedCall
from tests.conftest import order_created

pytestmark = pytest.mark.django_db


def _charges(order: dict) -> list[SimulatedCall]:
    return list(SimulatedCall.objects.filter(idempotency_key=f"charge-{order['orderId']}"))


def test_tok_visa_is_charged_after_the_commit_and_reported_successful():
    order = order_created(method="tok_visa", total="39.98")

    deliver(HANDLERS, "order-created", order, key=order["orderId"])
    assert Payment.objects.get(order_id=order["orderId"]).status == "PROCESSING"
    assert _charges(order) == []  # the handler only records the intent
    assert published("payment-completed") == []
    assert payment_process_due() == 1

    payment = Payment.objects.get(order_id=order["orderId"])
    assert (payment.status, str(payment.amount), payment.user_id) == ("SUCCESS", "39.98", order["userId"])
    [charge] = _charges(order)
    assert (charge.succeeded, charge.requests, payment.provider_reference) == (True, 1, charge.reference)
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


def test_payment_completed_carries_the_correlation_id_and_trace_of_order_created():
    order, trace_id = order_created(), "4bf92f3577b34da6a3ce929d0e0e4736"
    event = make_event("order-created", order, key=order["orderId"], correlation_id="req-42")
    event.headers["traceparent"] = f"00-{trace_id}-00f067aa0ba902b7-01"

    deliver_batch(HANDLERS, [event])
    payment_process_due()

    [completed] = published("payment-completed")
    assert completed.correlation_id == "req-42"
    assert completed.headers["traceparent"][3:35] == trace_id


@pytest.mark.parametrize(
    ("token", "reason"), [("tok_chargeDeclined", "card_declined"), ("tok_unknown", "invalid_payment_method")]
)
def test_a_declined_or_unknown_token_fails_the_payment(token, reason):
    order = order_created(method=token)

    deliver(HANDLERS, "order-created", order)
    payment_process_due()

    assert Payment.objects.get(order_id=order["orderId"]).status == "FAILED"
    [event] = published("payment-completed")
    assert (event.payload["status"], event.payload["reason"]) == ("FAILED", reason)


def test_a_redelivered_order_created_charges_once():
    order = order_created()
    event_id = str(uuid.uuid4())

    applied = [deliver(HANDLERS, "order-created", order, event_id=event_id) for _ in range(3)]
    payment_process_due()

    assert applied == [True, False, False]
    assert Payment.objects.filter(order_id=order["orderId"]).count() == 1
    assert len(_charges(order)) == 1
    assert len(published("payment-completed")) == 1


def test_a_retried_order_created_charges_once_and_repeats_the_result():
    order = order_created()

    deliver(HANDLERS, "order-created", order)
    deliver(HANDLERS, "order-created", order)  # before the charge: nothing to repeat yet
    payment_process_due()
    deliver(HANDLERS, "order-created", order)  # after it: the recorded result again

    assert Payment.objects.filter(order_id=order["orderId"]).count() == 1
    [charge] = _charges(order)
    assert charge.requests == 1
    first, second = published("payment-completed")
    assert first.event_id != second.event_id
    assert first.payload == second.payload


def test_a_retried_batch_and_a_repeated_effect_charge_each_order_once():
    orders = [order_created() for _ in range(3)]
    batch = [make_event("order-created", order, key=order["orderId"]) for order in orders]

    deliver_batch(HANDLERS, batch)
    deliver_batch(HANDLERS, batch)  # the same events again (a batch redelivered)
    assert payment_process_due() == 3
    assert payment_process_due() == 0

    for order in orders:
        [charge] = _charges(order)
        assert charge.requests == 1
    assert sorted(e.payload["orderId"] for e in published("payment-completed")) == sorted(
        o["orderId"] for o in orders
    )


def test_a_charge_repeated_after_a_lost_answer_is_answered_with_the_first_result():
    order = order_created()
    deliver(HANDLERS, "order-created", order)
    # A worker charged and died before recording it: the provider has the key, we do not.
    lost = payment_provider().charge(
        amount=order["totalAmount"], token="tok_visa", idempotency_key=f"charge-{order['orderId']}"
    )

    payment_process_due()

    payment = Payment.objects.get(order_id=order["orderId"])
    [charge] = _charges(order)
    assert (payment.status, payment.provider_reference) == ("SUCCESS", lost.reference)
    assert charge.requests == 2  # asked twice, charged once


def test_the_database_refuses_a_second_payment_for_an_order():
    order_id = str(uuid.uuid4())
    Payment.objects.create(order_id=order_id, user_id="u", amount="1.00", status="SUCCESS")

    with pytest.raises(IntegrityError):
        Payment.objects.create(order_id=order_id, user_id="u", amount="1.00", status="SUCCESS")


def _all_at_once(work, count: int = 4) -> list[Exception]:
    barrier, errors = threading.Barrier(count), []

    def run():
        try:
            barrier.wait()
            work()
        except Exception as error:  # noqa: BLE001 (collected for the assertion)
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


@pytest.mark.django_db(transaction=True)
def test_concurrent_order_created_events_and_effect_runs_charge_once(settings):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serializes every writer")
    settings.PAYMENT_SIMULATOR_LATENCY_MS = 50  # a charge in flight while the other workers look
    order = order_created()

    assert _all_at_once(lambda: deliver(HANDLERS, "order-created", order)) == []
    assert _all_at_once(payment_process_due) == []  # two replicas' workers, and more

    payment = Payment.objects.get(order_id=order["orderId"])
    [charge] = _charges(order)
    assert (payment.status, charge.requests) == ("SUCCESS", 1)
    payment_ids = {row.payload["paymentId"] for row in published("payment-completed")}
    assert payment_ids == {str(payment.id)}
    assert len(published("payment-completed")) == 1


def test_the_simulator_is_a_payment_provider_and_the_configured_one():
    simulator: PaymentProvider = SimulatorProvider(latency_ms=0)

    assert simulator.charge(amount=1, token="tok_visa", idempotency_key="k1").succeeded
    assert not simulator.charge(amount=1, token="tok_chargeDeclined", idempotency_key="k2").succeeded
    assert simulator.refund(reference="r", amount=1, idempotency_key="k3").succeeded
    assert isinstance(payment_provider(), SimulatorProvider)


def test_the_simulator_answers_a_key_with_its_first_result_and_refuses_it_for_another_request():
    simulator = SimulatorProvider(latency_ms=0)

    first = simulator.charge(amount=5, token="tok_visa", idempotency_key="charge-x")
    again = simulator.charge(amount=5, token="tok_visa", idempotency_key="charge-x")

    assert first == again
    assert SimulatedCall.objects.get(idempotency_key="charge-x").requests == 2
    with pytest.raises(IdempotencyKeyReused):
        simulator.charge(amount=6, token="tok_visa", idempotency_key="charge-x")
