"""Read operations of the payments service."""

from django.db.models import QuerySet

from common.auth import is_admin
from payments.models import Payment


def payment_list(*, user, order_id: str | None = None) -> QuerySet[Payment]:
    """Return the caller's payments (an admin's: everyone's), optionally for one order.

    Listed once charged: SUCCESS, FAILED, REFUND_PENDING (shown as SUCCESS: the money is
    still charged) and REFUNDED; a charge not made yet (PROCESSING) and a voided order are
    not listed. Another user's order yields an empty list, which says nothing about
    whether it exists.
    """
    payments = Payment.objects.filter(status__in=Payment.LISTED_STATUSES)
    if not is_admin(user):
        payments = payments.filter(user_id=str(user.id))
    if order_id is not None:
        payments = payments.filter(order_id=order_id)
    return payments
