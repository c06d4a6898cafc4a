"""The Django admin for products: every save or delete goes through services.py.

So an edit made here publishes its event and invalidates the cache like an API write.
Stock is set only when a product is added (its initial stock); later it follows inventory.
"""

from django.contrib import admin

from products import services
from products.models import Product


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "category", "price", "stock", "updated_at"]
    list_filter = ["category", "created_at"]
    search_fields = ["name", "description"]
    ordering = ["-created_at"]
    list_per_page = 50
    fields = ["id", "name", "description", "price", "category", "stock", "created_at", "updated_at"]

    def get_readonly_fields(self, request, obj=None):
        readonly = ["id", "created_at", "updated_at"]
        return readonly if obj is None else [*readonly, "stock"]

    def save_model(self, request, obj, form, change):
        if change:
            changes = {field: form.cleaned_data[field] for field in form.changed_data}
            services.product_update(product_id=obj.pk, **changes)
            return
        created = services.product_create(
            name=obj.name,
            price=obj.price,
            stock=obj.stock,
            description=obj.description,
            category=obj.category,
        )
        obj.pk, obj.created_at, obj.updated_at = created.pk, created.created_at, created.updated_at
        obj._state.adding = False

    def delete_model(self, request, obj):
        services.product_delete(product_id=obj.pk)

    def delete_queryset(self, request, queryset):
        for product_id in queryset.values_list("pk", flat=True):
            services.product_delete(product_id=product_id)
