"""Placing an order: one read and one transaction of two inserts; the answer is the serializer's."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders import services
from orders.models import Order
from orders.serializers import OrderOutputSerializer, order_output

pytestmark = pytest.mark.django_db


def test_placing_an_order_reads_once_and_writes_in_one_transaction(customer, make_product):
    lamp, pen = make_product(name="Lamp"), make_product(name="Pen", price="1.50")
    body = {"items": [{"product": lamp.id, "quantity": 2}, {"product": pen.id, "quantity": 1}]}

    with CaptureQueriesContext(connection) as queries:
        response = customer.post("/api/orders/", body)

    assert response.status_code == 201, response.content
    sql = [query["sql"] for query in queries.captured_queries]
    statements = [text.split()[0].upper() for text in sql]
    data = [text for text in sql if text.startswith(("SELECT", "INSERT", "WITH"))]
    if connection.vendor == "postgresql":
        # The order, its lines and its transition in one statement, the outbox row in another.
        assert [_tables(text) for text in data] == [
            ["orders_catalogueproduct"],
            ["orders_order", "orders_orderitem", "orders_ordertransition"],
            ["events_outboxevent"],
        ]
        assert "RETURNING" not in data[1].upper()
    else:
        assert [_tables(text)[0] for text in data] == [
            "orders_catalogueproduct",
            "orders_order",
            "orders_orderitem",
            "orders_ordertransition",
            "events_outboxevent",
        ]
    # One transaction (a savepoint inside the test's own), none more for the outbox row.
    assert statements.count("BEGIN") + statements.count("SAVEPOINT") == 1
    order = Order.objects.prefetch_related("items", "transitions").get(id=response.json()["id"])
    assert [(item.product_id, item.quantity) for item in order.items.all()] == [(lamp.id, 2), (pen.id, 1)]
    assert [(step.from_status, step.to_status) for step in order.transitions.all()] == [("", "PENDING")]
    if connection.vendor == "postgresql":  # one clock reading for all three (auto_now_add elsewhere)
        assert order.transitions.get().at == order.created_at == order.status_changed_at


def _tables(sql: str) -> list[str]:
    """The quoted table names a statement reads or writes, in order."""
    return re.findall(r'(?:FROM|INTO) "(\w+)"', sql)


@pytest.mark.parametrize("cancelled", [False, True])
def test_the_answer_is_what_the_documented_serializer_gives(make_product, cancelled):
    lamp, pen = make_product(name="Lämp", price="19.99"), make_product(name="Pen", price="0.10")
    lines = [services.OrderLine(product=lamp.id, quantity=3), services.OrderLine(product=pen.id, quantity=1)]
    order, _ = services.order_place(
        user_id="u-1",
        user_email="u@example.com",
        lines=lines,
        payment_method="tok_visa",
        idempotency_key=None,
    )
    if cancelled:
        services.order_cancel(order_id=order.id)
    reread = Order.objects.prefetch_related("items").get(id=order.id)

    assert order_output(reread) == OrderOutputSerializer(reread).data
    if not cancelled:
        assert order_output(order) == OrderOutputSerializer(reread).data  # lines kept, not read back
