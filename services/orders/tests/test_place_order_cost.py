"""Placing an order: one read and one transaction of four inserts; the answer is the serializer's."""

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
    touched = [text.split('"')[1] for text in sql if text.startswith(("SELECT", "INSERT"))]
    assert touched == [
        "orders_catalogueproduct",
        "orders_order",
        "orders_orderitem",
        "orders_ordertransition",
        "events_outboxevent",
    ]
    # One transaction (a savepoint inside the test's own), none more for the outbox row.
    assert statements.count("BEGIN") + statements.count("SAVEPOINT") == 1


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
