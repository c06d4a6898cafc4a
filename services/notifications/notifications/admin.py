from django.contrib import admin

from notifications.models import Notification, Recipient


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "email", "subject", "order_id"]
    list_filter = ["kind"]
    search_fields = ["email", "user_id", "order_id", "source_event_id"]
    readonly_fields = [field.name for field in Notification._meta.fields]


@admin.register(Recipient)
class RecipientAdmin(admin.ModelAdmin):
    list_display = ["user_id", "email", "name", "updated_at"]
    search_fields = ["user_id", "email"]
