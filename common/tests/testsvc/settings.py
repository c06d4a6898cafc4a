"""Settings of the stand-in service: exactly what a real service gets from common."""

from common.settings import service_settings

globals().update(service_settings(name="testsvc", apps=["testsvc"]))

EVENT_HANDLERS = "testsvc.handlers.HANDLERS"
