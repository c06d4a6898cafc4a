"""The services of CommerceX: name, port and where each lives."""

from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"


@dataclass(frozen=True)
class Service:
    name: str
    port: int

    @property
    def directory(self) -> Path:
        return ROOT / "services" / self.name

    @property
    def settings_module(self) -> str:
        return f"{self.name}.settings"

    @property
    def database_env(self) -> str:
        return f"{self.name.upper()}_DATABASE_URL"


SERVICES = [
    Service("users", 3001),
    Service("products", 3002),
    Service("orders", 3003),
    Service("payments", 3004),
    Service("inventory", 3005),
    Service("notifications", 3006),
]


def existing_services() -> list[Service]:
    """Return the services whose project exists in this checkout."""
    return [service for service in SERVICES if (service.directory / "manage.py").exists()]


def service_named(name: str) -> Service:
    for service in SERVICES:
        if service.name == name:
            return service
    raise KeyError(name)
