"""Settings of the stand-in service: exactly what a real service gets from common."""

from pathlib import Path

from common.settings.base import *

INSTALLED_APPS = [*INSTALLED_APPS, "testsvc"]

EVENT_HANDLERS = "testsvc.handlers.HANDLERS"

# The stand-in events of common's tests (not part of the catalogue in docs/EVENTS.md).
EVENT_SCHEMA_DIRS = [str(Path(__file__).resolve().parent / "schemas")]
