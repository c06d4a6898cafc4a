"""Settings of the notifications service: the shared base plus what is its own."""

from common.settings.base import *

INSTALLED_APPS = [*INSTALLED_APPS, "notifications"]

EVENT_HANDLERS = "notifications.handlers.HANDLERS"
