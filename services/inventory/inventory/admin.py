from django.contrib import admin

from inventory.models import OrderReservation, StockItem


@admin.register(StockItem)
class StockItemAdmin(admin.ModelAdmin):
    list_display = ["product_id", "name", "available", "deleted_at", "updated_at"]
    search_fields = ["product_id", "name"]
    # Stock changes go through the API so that `stock-changed` is published with them.
    readonly_fields = ["product_id", "name", "available", "deleted_at", "created_at", "updated_at"]


@admin.register(OrderReservation)
class OrderReservationAdmin(admin.ModelAdmin):
    list_display = ["order_id", "status", "created_at", "updated_at"]
    list_filter = ["status"]
    search_fields = ["order_id"]
    readonly_fields = ["order_id", "status", "items", "created_at", "updated_at"]
