from django.contrib import admin
from django.urls import path, re_path

from common.urls import handler400, handler403, handler404, handler500, service_urls  # noqa: F401
from users import views

urlpatterns = [
    *service_urls("users"),
    re_path(r"^api/auth/register/?$", views.RegisterView.as_view(), name="register"),
    re_path(r"^api/auth/login/?$", views.LoginView.as_view(), name="login"),
    re_path(r"^api/auth/refresh/?$", views.RefreshView.as_view(), name="refresh"),
    re_path(r"^api/users/profile/?$", views.ProfileView.as_view(), name="profile"),
    re_path(r"^api/auth/jwks\.json$", views.JWKSView.as_view(), name="jwks"),
    path("admin/users/", admin.site.urls),
]
