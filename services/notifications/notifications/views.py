"""HTTP endpoints of the notifications service: a customer's own notifications."""

from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated

from notifications import selectors
from notifications.serializers import NotificationOutputSerializer


class NotificationListView(ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = NotificationOutputSerializer

    def get_queryset(self):
        return selectors.notification_list(user_id=self.request.user.id)
