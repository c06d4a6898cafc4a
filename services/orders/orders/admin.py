"""The Django admin for orders: browse, filter stalled sagas, mark confirmed orders shipped."""

from django.contrib import admin, messages

from orders import selectors, services
from orders.models import CatalogueProduct, Order, OrderItem, OrderTransition


class StalledFilter(admin.SimpleListFilter):
    title = "saga"
    parameter_name = "saga"

    def lookups(self, request, model_admin):
        return [("stalled", "Stalled (PENDING/PAID past SAGA_TIMEOUT_SECONDS)")]

    def queryset(self, request, queryset):
        if self.value() == "stalled":
            return queryset.filter(
                status__in=selectors.STALLABLE_STATUSES, status_changed_at__lt=selectors.stalled_since()
            )
        return queryset


class OrderItemInline(admin.TabularInline):
    model = OrderItem
    extra = 0
    can_delete = False
    readonly_fields = ["product_id", "name", "quantity", "unit_price"]

    def has_add_permission(self, request, obj=None):
        return False


class OrderTransitionInline(admin.TabularInline):
    model = OrderTransition
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "reason", "cause_event_id", "at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "user_email",
        "status",
        "cancellation_reason",
        "total_amount",
        "created_at",
        "status_changed_at",
        "retry_count",
    ]
    list_filter = [StalledFilter, "status", "cancellation_reason"]
    search_fields = ["id", "user_id", "user_email"]
    date_hierarchy = "created_at"
    inlines = [OrderItemInline, OrderTransitionInline]
    actions = ["mark_shipped"]
    readonly_fields = [field.name for field in Order._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Mark selected CONFIRMED orders shipped")
    def mark_shipped(self, request, queryset):
        shipped, skipped = 0, 0
        for order_id in queryset.values_list("id", flat=True):
            try:
                services.order_ship(order_id=order_id)
                shipped += 1
            except services.OrderNotShippable:
                skipped += 1
        if shipped:
            self.message_user(request, f"{shipped} order(s) marked shipped.", messages.SUCCESS)
        if skipped:
            self.message_user(
                request, f"{skipped} order(s) skipped: only CONFIRMED orders ship.", messages.WARNING
            )


@admin.register(CatalogueProduct)
class CatalogueProductAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "price", "deleted", "version_at", "synced_at"]
    list_filter = ["deleted"]
    search_fields = ["id", "name"]
    readonly_fields = ["id", "name", "price", "deleted", "version_at", "synced_at"]
