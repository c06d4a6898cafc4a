from django.apps import AppConfig
from django.conf import settings


class ObservabilityConfig(AppConfig):
    """Set up tracing once the settings are loaded, before the first request or event."""

    name = "common.observability"
    label = "observability"
    verbose_name = "CommerceX observability"

    def ready(self) -> None:
        from common.observability import tracing

        tracing.configure(getattr(settings, "SERVICE_NAME", "") or "commercex")
