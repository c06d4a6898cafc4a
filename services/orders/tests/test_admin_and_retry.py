"""The Django admin (mark shipped, stalled filter) and `manage.py retry_stalled`."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from common.events.testing import deliver, published
from orders.handlers import HANDLERS
from orders.models import Order, OrderTransition
from tests import events

pytestmark = pytest.mark.django_db


def _confirmed(place_order) -> dict:
    order = place_order()
    deliver(HANDLERS, "payment-completed", events.payment_completed(order))
    deliver(HANDLERS, "inventory-updated", events.inventory_updated(order))
    return order


def _age(order: dict, *, seconds: int) -> None:
    Order.objects.filter(id=order["id"]).update(status_changed_at=timezone.now() - timedelta(seconds=seconds))


def test_mark_shipped_ships_confirmed_orders_and_skips_the_rest(admin_client, place_order):
    confirmed = _confirmed(place_order)
    pending = place_order()

    response = admin_client.post(
        "/admin/orders/orders/order/",
        {"action": "mark_shipped", "_selected_action": [confirmed["id"], pending["id"]]},
        follow=True,
    )

    assert response.status_code == 200
    assert Order.objects.get(id=confirmed["id"]).status == "SHIPPED"
    assert Order.objects.get(id=pending["id"]).status == "PENDING"
    [shipped] = published("order-shipped")
    assert shipped.payload["orderId"] == confirmed["id"]
    assert OrderTransition.objects.filter(order_id=confirmed["id"], to_status="SHIPPED").count() == 1


def test_the_admin_lists_stalled_sagas(admin_client, place_order, settings):
    settings.SAGA_TIMEOUT_SECONDS = 60
    stalled, fresh = place_order(), place_order()
    _age(stalled, seconds=120)

    page = admin_client.get("/admin/orders/orders/order/?saga=stalled").content.decode()

    assert stalled["id"] in page
    assert fresh["id"] not in page


def test_retry_stalled_republishes_order_created_with_a_new_event_id(place_order, settings):
    settings.SAGA_TIMEOUT_SECONDS = 60
    stalled_pending, stalled_paid, fresh, cancelled = (
        place_order(),
        place_order(),
        place_order(),
        place_order(),
    )
    deliver(HANDLERS, "payment-completed", events.payment_completed(stalled_paid))
    deliver(HANDLERS, "payment-completed", events.payment_completed(cancelled, status="FAILED"))
    for order in (stalled_pending, stalled_paid, cancelled):
        _age(order, seconds=120)
    before = {str(row.event_id) for row in published("order-created")}

    out = StringIO()
    call_command("retry_stalled", stdout=out)

    again = [row for row in published("order-created") if str(row.event_id) not in before]
    assert sorted(row.key for row in again) == sorted([stalled_pending["id"], stalled_paid["id"]])
    assert {row.payload["orderId"] for row in again} == {stalled_pending["id"], stalled_paid["id"]}
    assert "2 stalled, 2 retried" in out.getvalue()
    assert Order.objects.get(id=stalled_pending["id"]).retry_count == 1
    assert Order.objects.get(id=fresh["id"]).retry_count == 0


def test_retry_stalled_dry_run_publishes_nothing(place_order, settings):
    settings.SAGA_TIMEOUT_SECONDS = 60
    order = place_order()
    _age(order, seconds=120)
    count = len(published())

    out = StringIO()
    call_command("retry_stalled", "--dry-run", stdout=out)

    assert f"stalled {order['id']} PENDING" in out.getvalue()
    assert len(published()) == count
