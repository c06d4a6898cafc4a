from django.contrib import admin
from django.urls import path, re_path

from common.urls import handler400, handler403, handler404, handler500, service_urls  # noqa: F401
from inventory import views

urlpatterns = [
    *service_urls("inventory"),
    re_path(r"^api/inventory/(?P<product_id>[^/]+)/?$", views.StockView.as_view(), name="stock"),
    path("admin/inventory/", admin.site.urls),
]
