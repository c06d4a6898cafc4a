from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from common.events.testing import published
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
