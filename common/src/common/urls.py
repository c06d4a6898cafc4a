"""Mount what every service serves beside its API: health, OpenAPI schema and docs."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from common.health import health
from common.observability.views import metrics


def service_urls(service: str) -> list:
    """Return the URL patterns of /api/<service>/health, /schema/ and /docs/, and /metrics
    (Prometheus; on the service's own port only: the gateway does not route it).

    `/health` on the service's own port answers like `/api/<service>/health`, as the
    original design's walkthrough expects (`curl http://localhost:3001/health`); through
    the gateway, `/health` is the gateway's own.
    """
    return [
        path("metrics", metrics, name="metrics"),
        re_path(r"^health/?$", health, name="port-health"),
        re_path(rf"^api/{service}/health/?$", health, name="health"),
        path(f"api/{service}/schema/", SpectacularAPIView.as_view(), name="schema"),
        path(f"api/{service}/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
    ]


# Each service's urls.py re-exports these so unknown paths and crashes answer JSON.
handler400 = "common.errors.bad_request"
handler403 = "common.errors.permission_denied"
handler404 = "common.errors.not_found"
handler500 = "common.errors.server_error"
