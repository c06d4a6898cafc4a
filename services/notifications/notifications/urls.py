from django.contrib import admin
from django.urls import path, re_path

from common.urls import handler400, handler403, handler404, handler500, service_urls  # noqa: F401
from notifications import views

urlpatterns = [
    *service_urls("notifications"),
    re_path(r"^api/notifications/?$", views.NotificationListView.as_view(), name="notifications"),
    path("admin/notifications/", admin.site.urls),
]
