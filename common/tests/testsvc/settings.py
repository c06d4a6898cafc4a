"""Settings of the stand-in service: exactly what a real service gets from common."""

from pathlib import Path

from common.settings import service_settings

globals().update(service_settings(name="testsvc", apps=["testsvc"]))

EVENT_HANDLERS = "testsvc.handlers.HANDLERS"

# The stand-in events of common's tests (not part of the catalogue in docs/EVENTS.md).
EVENT_SCHEMA_DIRS = [str(Path(__file__).resolve().parent / "schemas")]
