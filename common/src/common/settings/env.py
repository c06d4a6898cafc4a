"""Read typed values from the environment (django-environ), failing fast where production needs one.

`env` is the reader the settings modules use: `env.int("X", default=3)`, `env.list(...)`,
`env.str("X", default=env.unless_production("local value"))`. An empty variable counts
as unset (compose passes `${X:-}` through) and a value is taken as written (never as a
`$OTHER` reference). The `env_*` functions are the same reader for code outside settings.
"""

import os
import re

import environ
from django.core.exceptions import ImproperlyConfigured


def is_production() -> bool:
    return os.environ.get("DJANGO_ENV", "local").lower() == "production"


class Env(environ.Env):
    def get_value(self, var, cast=None, default=environ.Env.NOTSET, parse_default=False):
        value = self.ENVIRON.get(var, "")
        if value == "":
            if default is self.NOTSET:
                when = " when DJANGO_ENV=production" if is_production() else ""
                raise ImproperlyConfigured(f"{var} must be set{when}")
            return default
        if cast is None and default is not None and default is not self.NOTSET:
            cast = type(default)
        value = self.parse_value(value, cast)
        return [item.strip() for item in value if item.strip()] if isinstance(value, list) else value

    def unless_production(self, default):
        """`default` as the default of a value production must be given (there: none)."""
        return self.NOTSET if is_production() else default


env = Env()


def env_str(name: str, default: str | None = None, *, required_in_production: bool = False) -> str:
    if required_in_production:
        return env.str(name, default=env.unless_production(default or ""))
    return env.str(name, default=default or "")


def env_bool(name: str, default: bool) -> bool:
    return env.bool(name, default=default)


def env_int(name: str, default: int) -> int:
    return env.int(name, default=default)


def env_float(name: str, default: float) -> float:
    return env.float(name, default=default)


def env_list(name: str, default: list[str], *, required_in_production: bool = False) -> list[str]:
    return env.list(name, default=env.unless_production(default) if required_in_production else default)


RATE_OFF = "off"
_RATE = re.compile(r"^[1-9][0-9]*/[0-9]*[smhd]$")


def env_rate(name: str, default: str) -> str:
    """Read a rate such as `100/15m` (count per period: s, m, h or d), or `off`.

    A malformed rate fails at start-up, not as a 500 on every request.
    """
    value = env.str(name, default=default).strip().lower()
    if value in {"off", "none", "0", "false"}:
        return RATE_OFF
    if not _RATE.match(value) or int(value.split("/")[1][:-1] or 1) == 0:
        raise ImproperlyConfigured(f"{name}={value!r}: expected <count>/<period> such as 100/15m, or off")
    return value


def rate_period_seconds(rate: str) -> int:
    """Return the period of a rate read by `env_rate` in seconds (`100/15m` → 900)."""
    period = rate.split("/")[1]
    return int(period[:-1] or 1) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[period[-1]]
