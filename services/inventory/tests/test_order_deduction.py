import pytest

from common.events.testing import published
from inventory.models import OrderReservation, StockItem
from tests.events import cancel, create_product, new_id, pay

pytestmark = pytest.mark.django_db


def available(product: str) -> int:
    return StockItem.objects.get(product_id=product).available


def test_paid_order_deducts_every_line_and_publishes_inventory_updated():
    first, second = create_product(stock=5), create_product(stock=3)
    order = new_id()

    pay(order, [(first, 2), (second, 3)])

    assert (available(first), available(second)) == (3, 0)
    [updated] = published("inventory-updated")
    assert updated.key == order
    assert updated.payload["orderId"] == order
    assert sorted((i["product"], i["quantity"]) for i in updated.payload["items"]) == sorted(
        [(first, 2), (second, 3)]
    )
    assert published("inventory-rejected") == []
    changes = {row.payload["productId"]: row.payload["available"] for row in published("stock-changed")[2:]}
    assert changes == {first: 3, second: 0}


def test_repeated_product_lines_are_summed_before_checking_stock():
    product = create_product(stock=3)

    pay(new_id(), [(product, 2), (product, 2)])

    assert available(product) == 3
    assert len(published("inventory-rejected")) == 1


def test_order_short_on_one_line_deducts_nothing_and_is_rejected():
    plenty, scarce = create_product(stock=10), create_product(stock=1)
    order = new_id()

    pay(order, [(plenty, 4), (scarce, 2)])

    assert (available(plenty), available(scarce)) == (10, 1)
    [rejected] = published("inventory-rejected")
    assert rejected.key == order
    assert rejected.payload["orderId"] == order
    assert rejected.payload["reason"] == "out_of_stock"
    assert published("inventory-updated") == []
    assert len(published("stock-changed")) == 2  # only the two creations


def test_order_for_an_unknown_product_is_rejected():
    order = new_id()

    pay(order, [(new_id(), 1)])

    assert [row.payload["orderId"] for row in published("inventory-rejected")] == [order]


def test_failed_payment_leaves_stock_alone():
    product = create_product(stock=5)

    pay(new_id(), [(product, 2)], status="FAILED")

    assert available(product) == 5
    assert published("inventory-updated") == published("inventory-rejected") == []


def test_payment_completed_delivered_twice_deducts_once_and_a_repeat_answers_again():
    product = create_product(stock=5)
    order = new_id()
    event_id = new_id()

    assert pay(order, [(product, 2)], event_id=event_id) is True
    assert pay(order, [(product, 2)], event_id=event_id) is False  # same ce_id: the inbox skips it
    assert pay(order, [(product, 2)]) is True  # new ce_id, same order: the reservation skips it

    assert available(product) == 3
    # The repeat answers with the recorded outcome, under a new event id: a stalled saga resumes.
    first, again = published("inventory-updated")
    assert first.payload["orderId"] == again.payload["orderId"] == order
    assert first.event_id != again.event_id


def test_rejected_order_paid_again_is_not_retried_but_answered_rejected_again():
    product = create_product(stock=1)
    order = new_id()
    pay(order, [(product, 2)])
    StockItem.objects.filter(product_id=product).update(available=5)

    pay(order, [(product, 2)])

    assert available(product) == 5
    assert [row.payload["orderId"] for row in published("inventory-rejected")] == [order, order]
    assert published("inventory-updated") == []


def test_cancel_of_a_deducted_order_restores_its_stock_once():
    first, second = create_product(stock=5), create_product(stock=5)
    order = new_id()
    pay(order, [(first, 2), (second, 1)])

    cancel(order, [(first, 2), (second, 1)])
    cancel(order, [(first, 2), (second, 1)])  # a second cancellation event for the same order

    assert (available(first), available(second)) == (5, 5)
    assert OrderReservation.objects.get(order_id=order).status == OrderReservation.Status.RESTORED
    restored = [row.payload for row in published("stock-changed")[-2:]]
    assert {(p["productId"], p["available"]) for p in restored} == {(first, 5), (second, 5)}
    assert len(published("stock-changed")) == 6  # 2 created, 2 deducted, 2 restored


def test_cancel_before_payment_blocks_the_late_deduction():
    product = create_product(stock=5)
    order = new_id()

    cancel(order, [(product, 2)], previous_status="PENDING")
    pay(order, [(product, 2)])

    assert available(product) == 5
    assert published("inventory-updated") == published("inventory-rejected") == []
    assert OrderReservation.objects.get(order_id=order).status == OrderReservation.Status.CANCELLED


def test_cancel_of_a_rejected_order_gives_nothing_back():
    product = create_product(stock=1)
    order = new_id()
    pay(order, [(product, 3)])

    cancel(order, [(product, 3)], previous_status="PAID")

    assert available(product) == 1
    assert len(published("stock-changed")) == 1
