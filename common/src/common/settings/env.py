"""Read typed values from the environment, failing fast where production needs one."""

import os
import re

from django.core.exceptions import ImproperlyConfigured


def is_production() -> bool:
    return os.environ.get("DJANGO_ENV", "local").lower() == "production"


def env_str(name: str, default: str | None = None, *, required_in_production: bool = False) -> str:
    value = os.environ.get(name)
    if value:
        return value
    if required_in_production and is_production():
        raise ImproperlyConfigured(f"{name} must be set when DJANGO_ENV=production")
    return default or ""


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


def env_list(name: str, default: list[str], *, required_in_production: bool = False) -> list[str]:
    value = env_str(name, required_in_production=required_in_production)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


RATE_OFF = "off"
_RATE = re.compile(r"^[1-9][0-9]*/[0-9]*[smhd]$")


def env_rate(name: str, default: str) -> str:
    """Read a rate such as `100/15m` (count per period: s, m, h or d), or `off`.

    A malformed rate fails at start-up, not as a 500 on every request.
    """
    value = env_str(name, default).strip().lower()
    if value in {"off", "none", "0", "false"}:
        return RATE_OFF
    if not _RATE.match(value) or int(value.split("/")[1][:-1] or 1) == 0:
        raise ImproperlyConfigured(f"{name}={value!r}: expected <count>/<period> such as 100/15m, or off")
    return value


def rate_period_seconds(rate: str) -> int:
    """Return the period of a rate read by `env_rate` in seconds (`100/15m` → 900)."""
    period = rate.split("/")[1]
    return int(period[:-1] or 1) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[period[-1]]
