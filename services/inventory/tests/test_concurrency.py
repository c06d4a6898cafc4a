from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from common.events.testing import deliver_batch, published
from inventory.handlers import HANDLERS
from inventory.models import StockItem
from tests.events import create_product, new_id, pay

BUYERS = 20
STOCK = 5


def _pay_one_unit(product: str) -> None:
    try:
        pay(new_id(), [(product, 1)])
    finally:
        connection.close()


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_single_unit_orders_never_oversell():
    product = create_product(stock=STOCK)

    with ThreadPoolExecutor(max_workers=BUYERS) as pool:
        for future in [pool.submit(_pay_one_unit, product) for _ in range(BUYERS)]:
            future.result()

    assert len(published("inventory-updated")) == STOCK
    assert len(published("inventory-rejected")) == BUYERS - STOCK
    assert StockItem.objects.get(product_id=product).available == 0
    last_change = published("stock-changed")[-1].payload
    assert last_change["available"] == 0


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_orders_over_two_products_in_opposite_order_do_not_deadlock():
    first, second = create_product(stock=STOCK), create_product(stock=STOCK)

    def pay_both(reverse: bool) -> None:
        lines = [(first, 1), (second, 1)]
        try:
            pay(new_id(), lines[::-1] if reverse else lines)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=10) as pool:
        for future in [pool.submit(pay_both, n % 2 == 1) for n in range(10)]:
            future.result()

    assert len(published("inventory-updated")) == STOCK
    assert len(published("inventory-rejected")) == 10 - STOCK
    assert StockItem.objects.get(product_id=first).available == 0
    assert StockItem.objects.get(product_id=second).available == 0


def _payment_completed(order_id: str, lines: list[tuple[str, int]]) -> tuple[str, dict]:
    return (
        "payment-completed",
        {
            "orderId": order_id,
            "paymentId": new_id(),
            "status": "SUCCESS",
            "amount": "10.00",
            "processedAt": "2026-11-26T12:00:00Z",
            "userId": "u1",
            "items": [{"product": p, "quantity": q} for p, q in lines],
        },
    )


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_replicas_applying_batches_of_multi_product_orders_never_deadlock_or_oversell():
    products = [create_product(stock=STOCK * 2) for _ in range(4)]

    def replica(reverse: bool) -> None:
        """One consumer replica: batches of orders over all four products, in its own line order."""
        try:
            for _ in range(4):
                lines = [(p, 1) for p in (products[::-1] if reverse else products)]
                deliver_batch(
                    HANDLERS, [_payment_completed(new_id(), lines[i:] + lines[:i]) for i in range(4)]
                )
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        for future in [pool.submit(replica, reverse) for reverse in (False, True)]:
            future.result()  # a deadlock would raise here (PostgreSQL aborts one of them)

    assert len(published("inventory-updated")) == 2 * STOCK  # 32 orders, stock for 10 of each
    assert len(published("inventory-rejected")) == 32 - 2 * STOCK
    assert all(StockItem.objects.get(product_id=p).available == 0 for p in products)
