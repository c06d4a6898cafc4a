"""Settings of the inventory service: the shared base plus what is its own."""

from common.settings import service_settings

globals().update(service_settings(name="inventory", apps=["inventory"]))

EVENT_HANDLERS = "inventory.handlers.HANDLERS"
