from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "common.events"
    label = "events"
    verbose_name = "Event outbox and inbox"
    default_auto_field = "django.db.models.BigAutoField"
