"""Read typed values from the environment, failing fast where production needs one."""

import os

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


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]
