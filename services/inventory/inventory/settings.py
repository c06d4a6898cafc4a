"""Settings of the inventory service: the shared base plus what is its own."""

from common.settings.base import *

INSTALLED_APPS = [*INSTALLED_APPS, "inventory"]

EVENT_HANDLERS = "inventory.handlers.HANDLERS"
