from django.contrib import admin, messages

from payments import services
from payments.models import Payment


class ParkedFilter(admin.SimpleListFilter):
    title = "provider call"
    parameter_name = "call"

    def lookups(self, request, model_admin):
        return [("due", "due or retrying"), ("failing", "failing (retrying)"), ("parked", "parked")]

    def queryset(self, request, queryset):
        due = queryset.filter(status__in=Payment.DUE_STATUSES)
        if self.value() == "due":
            return due.filter(parked_at__isnull=True)
        if self.value() == "failing":
            return due.filter(parked_at__isnull=True, first_failed_at__isnull=False)
        if self.value() == "parked":
            return due.filter(parked_at__isnull=False)
        return queryset


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "order_id",
        "user_id",
        "amount",
        "status",
        "attempts",
        "next_attempt_at",
        "parked_at",
        "last_error",
        "created_at",
        "refunded_at",
    ]
    list_filter = ["status", ParkedFilter]
    search_fields = ["id", "order_id", "user_id"]
    readonly_fields = [field.name for field in Payment._meta.fields]
    actions = ["requeue"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Re-queue selected parked charges or refunds (try the provider again)")
    def requeue(self, request, queryset):
        count = services.payment_requeue(payment_ids=list(queryset.values_list("id", flat=True)))
        self.message_user(request, f"{count} payment(s) re-queued.", messages.SUCCESS)
        if queryset.count() > count:
            self.message_user(
                request,
                f"{queryset.count() - count} skipped: only parked ones are re-queued.",
                messages.WARNING,
            )
