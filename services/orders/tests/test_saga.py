"""The order's status follows the saga's events, in any order, each applied once."""

import uuid
from datetime import timedelta

import pytest

from common.events.testing import deliver, published
from orders.handlers import HANDLERS
from orders.models import Order, OrderTransition
from tests import events

pytestmark = pytest.mark.django_db


def _status(order: dict) -> tuple[str, str | None]:
    row = Order.objects.get(id=order["id"])
    return row.status, row.cancellation_reason


def _steps(order: dict) -> list[tuple[str, str]]:
    return list(OrderTransition.objects.filter(order_id=order["id"]).values_list("from_status", "to_status"))


def test_happy_path_goes_pending_paid_confirmed_and_announces_confirmation(place_order):
    order = place_order()

    deliver(HANDLERS, "payment-completed", events.payment_completed(order))
    assert _status(order) == ("PAID", None)
    deliver(HANDLERS, "inventory-updated", events.inventory_updated(order))

    assert _status(order) == ("CONFIRMED", None)
    assert _steps(order) == [("", "PENDING"), ("PENDING", "PAID"), ("PAID", "CONFIRMED")]
    [confirmed] = published("order-confirmed")
    assert confirmed.key == order["id"]
    assert confirmed.payload["totalAmount"] == order["total_amount"]
    assert confirmed.payload["items"][0]["product"] == order["items"][0]["product"]
    assert published("order-cancelled") == []


def test_each_transition_records_its_time_and_cause(place_order):
    order = place_order()
    event_id = str(uuid.uuid4())

    deliver(HANDLERS, "payment-completed", events.payment_completed(order), event_id=event_id)

    paid = OrderTransition.objects.get(order_id=order["id"], to_status="PAID")
    assert paid.cause_event_id == event_id
    assert paid.at >= OrderTransition.objects.get(order_id=order["id"], to_status="PENDING").at
    changed_at = Order.objects.get(id=order["id"]).status_changed_at
    assert abs(changed_at - paid.at) < timedelta(seconds=1)


def test_declined_payment_cancels_with_payment_declined(place_order):
    order = place_order(payment_method="tok_chargeDeclined")

    deliver(HANDLERS, "payment-completed", events.payment_completed(order, status="FAILED"))

    assert _status(order) == ("CANCELLED", "payment_declined")
    [cancelled] = published("order-cancelled")
    assert cancelled.payload["reason"] == "payment_declined"
    assert cancelled.payload["previousStatus"] == "PENDING"
    assert cancelled.payload["items"] == [
        {"product": order["items"][0]["product"], "quantity": order["items"][0]["quantity"]}
    ]


def test_stock_rejection_after_payment_cancels_with_out_of_stock(place_order):
    order = place_order()
    deliver(HANDLERS, "payment-completed", events.payment_completed(order))

    deliver(HANDLERS, "inventory-rejected", events.inventory_rejected(order))

    assert _status(order) == ("CANCELLED", "out_of_stock")
    [cancelled] = published("order-cancelled")
    assert (cancelled.payload["reason"], cancelled.payload["previousStatus"]) == ("out_of_stock", "PAID")


def test_stock_answer_overtaking_the_payment_confirms_from_pending(place_order):
    order = place_order()
    payment_id = str(uuid.uuid4())

    deliver(HANDLERS, "inventory-updated", events.inventory_updated(order))
    deliver(HANDLERS, "payment-completed", events.payment_completed(order, payment_id=payment_id))

    assert _status(order) == ("CONFIRMED", None)
    assert _steps(order) == [("", "PENDING"), ("PENDING", "CONFIRMED")]
    assert Order.objects.get(id=order["id"]).payment_id == payment_id
    assert len(published("order-confirmed")) == 1


def test_stock_rejection_overtaking_the_payment_cancels_and_the_late_payment_changes_nothing(place_order):
    order = place_order()

    deliver(HANDLERS, "inventory-rejected", events.inventory_rejected(order))
    deliver(HANDLERS, "payment-completed", events.payment_completed(order))

    assert _status(order) == ("CANCELLED", "out_of_stock")
    assert _steps(order) == [("", "PENDING"), ("PENDING", "CANCELLED")]


def test_a_redelivered_event_has_its_effect_once(place_order):
    order = place_order()
    payment = events.payment_completed(order)
    stock = events.inventory_updated(order)
    payment_event, stock_event = str(uuid.uuid4()), str(uuid.uuid4())

    applied = [
        deliver(HANDLERS, "payment-completed", payment, event_id=payment_event),
        deliver(HANDLERS, "payment-completed", payment, event_id=payment_event),
        deliver(HANDLERS, "inventory-updated", stock, event_id=stock_event),
        deliver(HANDLERS, "inventory-updated", stock, event_id=stock_event),
    ]

    assert applied == [True, False, True, False]
    assert _steps(order) == [("", "PENDING"), ("PENDING", "PAID"), ("PAID", "CONFIRMED")]
    assert len(published("order-confirmed")) == 1


def test_a_republished_event_with_a_new_id_moves_nothing_twice(place_order):
    order = place_order()
    payment = events.payment_completed(order)

    deliver(HANDLERS, "payment-completed", payment)
    deliver(HANDLERS, "payment-completed", payment)
    deliver(HANDLERS, "inventory-updated", events.inventory_updated(order))
    deliver(HANDLERS, "inventory-updated", events.inventory_updated(order))

    assert _steps(order) == [("", "PENDING"), ("PENDING", "PAID"), ("PAID", "CONFIRMED")]
    assert len(published("order-confirmed")) == 1


@pytest.mark.parametrize(
    ("event_type", "payload"),
    [
        ("payment-completed", lambda order: events.payment_completed(order, status="FAILED")),
        ("inventory-updated", events.inventory_updated),
        ("inventory-rejected", events.inventory_rejected),
    ],
)
def test_events_for_a_cancelled_order_change_nothing(place_order, customer, event_type, payload):
    order = place_order()
    customer.post(f"/api/orders/{order['id']}/cancel/")

    deliver(HANDLERS, event_type, payload(order))

    assert _status(order) == ("CANCELLED", "customer_request")
    assert len(published("order-cancelled")) == 1
    assert published("order-confirmed") == []


def test_a_refund_is_recorded_on_the_order(place_order):
    order = place_order()
    payment_id = str(uuid.uuid4())
    deliver(HANDLERS, "payment-completed", events.payment_completed(order, payment_id=payment_id))
    deliver(HANDLERS, "inventory-rejected", events.inventory_rejected(order))

    deliver(HANDLERS, "payment-refunded", events.payment_refunded(order, payment_id=payment_id))

    row = Order.objects.get(id=order["id"])
    assert row.refunded_at is not None
    assert row.payment_id == payment_id


def test_events_for_an_unknown_order_are_ignored():
    ghost = {"id": str(uuid.uuid4()), "total_amount": "1.00", "items": [{"product": "p", "quantity": 1}]}

    assert deliver(HANDLERS, "payment-completed", events.payment_completed(ghost))
    assert deliver(HANDLERS, "inventory-updated", events.inventory_updated(ghost))
    assert deliver(HANDLERS, "inventory-rejected", events.inventory_rejected({**ghost, "id": "not-a-uuid"}))
    assert published() == []
