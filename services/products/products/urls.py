from django.contrib import admin
from django.urls import path
from rest_framework.routers import SimpleRouter

from common.urls import handler400, handler403, handler404, handler500, service_urls  # noqa: F401
from products import views


class OptionalSlashRouter(SimpleRouter):
    """Route both `/api/products` and `/api/products/` (and the same for detail URLs)."""

    def __init__(self):
        super().__init__()
        self.trailing_slash = "/?"


router = OptionalSlashRouter()
router.register("api/products", views.ProductViewSet, basename="product")

urlpatterns = [
    *service_urls("products"),
    path("admin/products/", admin.site.urls),
    *router.urls,
]
