import os

from django.apps import AppConfig
from django.conf import settings


class ObservabilityConfig(AppConfig):
    """Set up tracing once the settings are loaded, before the first request or event; in a
    process given METRICS_PORT (a consumer or relay in its own container), serve /metrics.
    """

    name = "common.observability"
    label = "observability"
    verbose_name = "CommerceX observability"

    def ready(self) -> None:
        from common.observability import tracing

        tracing.configure(getattr(settings, "SERVICE_NAME", "") or "commercex")
        port = os.environ.get("METRICS_PORT", "").strip()
        if port:
            # Containers (compose, Kubernetes) run the consumer and the relay apart from the
            # web process: each serves its own samples, and Prometheus adds them up by service.
            from prometheus_client import start_http_server

            start_http_server(int(port), addr=os.environ.get("METRICS_ADDR", "0.0.0.0"))  # noqa: S104
