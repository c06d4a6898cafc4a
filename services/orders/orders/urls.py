from django.contrib import admin
from django.urls import path, re_path

from common.urls import handler400, handler403, handler404, handler500, service_urls  # noqa: F401
from orders import views

urlpatterns = [
    *service_urls("orders"),
    re_path(r"^api/orders/?$", views.OrderListCreateView.as_view(), name="orders"),
    re_path(r"^api/orders/(?P<order_id>[^/]+)/?$", views.OrderDetailView.as_view(), name="order-detail"),
    re_path(
        r"^api/orders/(?P<order_id>[^/]+)/cancel/?$", views.OrderCancelView.as_view(), name="order-cancel"
    ),
    path("admin/orders/", admin.site.urls),
]
