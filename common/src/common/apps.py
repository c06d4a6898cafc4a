from django.apps import AppConfig


class CommonConfig(AppConfig):
    """Make common's management commands (e.g. createstaff) available to every service."""

    name = "common"
    label = "common"
    verbose_name = "CommerceX common"

    def ready(self) -> None:
        from common import schema  # noqa: F401 - registers the OpenAPI auth extension
