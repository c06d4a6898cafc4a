"""Make what local settings read before a process loads them: var/ folders and development keys.

Settings have no side effects at import; this runs first instead: in every service's
`manage.py` (so `migrate` makes them), in `manage_all.py up` and `test`, and in pytest
(`-p common.pytest_plugin`). Production (DJANGO_ENV=production) is given its secrets and a
database: it does nothing there.
"""

from common.keys import make_local_keys
from common.paths import var_dir
from common.settings.env import is_production


def prepare_local() -> None:
    if is_production():
        return
    for folder in ("db", "static", "keys"):
        (var_dir() / folder).mkdir(parents=True, exist_ok=True)
    make_local_keys()
