"""Read operations of the notifications service."""

from django.db.models import QuerySet

from notifications.models import Notification


def notification_list(*, user_id: str) -> QuerySet[Notification]:
    """Return a user's own notifications, newest first."""
    return Notification.objects.filter(user_id=str(user_id)).order_by("-created_at", "-id")
