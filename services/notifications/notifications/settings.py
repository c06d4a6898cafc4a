"""Settings of the notifications service: the shared base plus what is its own."""

from common.settings import service_settings

globals().update(service_settings(name="notifications", apps=["notifications"]))

EVENT_HANDLERS = "notifications.handlers.HANDLERS"
