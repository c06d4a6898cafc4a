"""The services of CommerceX and the processes each one runs: name, port, where it lives."""

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"

# The processes of a service beside its web server, each `manage.py <command>`: `work` is
# the service's consumer (where it handles events), its effects and its outbox relay in one
# process. The one place to change (it was ("consume", "relay")).
WORKER_COMMANDS = ("work",)
# Commands that only consume (started only where the service handles events), and those
# that join the service's consumer group (`up` waits until they did).
CONSUMER_ONLY_COMMANDS = frozenset({"consume"})
CONSUMER_COMMANDS = frozenset({"consume", "work"})


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

    @property
    def port_env(self) -> str:
        return f"{self.name.upper()}_PORT"


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


def var_dir() -> Path:
    """The var folder of this run: COMMERCEX_VAR_DIR, else <repo>/var."""
    return Path(os.environ.get("COMMERCEX_VAR_DIR") or VAR)


def service_port(service: Service, env: dict) -> int:
    """Return the service's port: <SERVICE>_PORT when set, else its registered one."""
    return int(env.get(service.port_env) or service.port)
