from django.contrib import admin, messages

from notifications import services
from notifications.models import Notification, Recipient


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "email", "status", "attempts", "next_attempt_at", "sent_at"]
    list_filter = ["status", "kind"]
    search_fields = ["email", "user_id", "order_id", "source_event_id", "message_id"]
    readonly_fields = [field.name for field in Notification._meta.fields]
    actions = ["requeue"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Re-queue selected parked or failed notifications (send again)")
    def requeue(self, request, queryset):
        count = services.notification_requeue(notification_ids=list(queryset.values_list("id", flat=True)))
        skipped = queryset.count() - count
        self.message_user(request, f"{count} notification(s) re-queued.", messages.SUCCESS)
        if skipped > 0:
            self.message_user(
                request, f"{skipped} skipped: only PARKED or FAILED ones are re-queued.", messages.WARNING
            )


@admin.register(Recipient)
class RecipientAdmin(admin.ModelAdmin):
    list_display = ["user_id", "email", "name", "updated_at"]
    search_fields = ["user_id", "email"]
