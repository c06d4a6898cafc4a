from django.contrib import admin
from django.urls import path, re_path

from common.urls import handler400, handler403, handler404, handler500, service_urls  # noqa: F401
from payments import views

urlpatterns = [
    *service_urls("payments"),
    re_path(r"^api/payments/?$", views.PaymentListView.as_view(), name="payments"),
    path("admin/payments/", admin.site.urls),
]
