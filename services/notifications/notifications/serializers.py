"""Output shape of the notifications API."""

from rest_framework import serializers

from notifications.models import Notification


class NotificationOutputSerializer(serializers.ModelSerializer):
    id = serializers.CharField(read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "kind", "subject", "created_at"]
