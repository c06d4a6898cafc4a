"""Prepare one service before `up` starts it: migrate, collect static files, describe it.

Run with the service's directory as the working directory. One Django start-up does all
three; the last line printed is JSON: the number of event handlers and which of the
`consume`, `relay` and `work` commands the service has.
"""

import json
import os
import sys


def main() -> int:
    # sys.path[0] is this script's folder, stack/, whose redis.py would shadow the redis
    # package: put the service's folder there instead.
    sys.path[0] = os.getcwd()
    service = os.path.basename(os.getcwd())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", f"{service}.settings")
    from common.local import prepare_local

    prepare_local()  # local keys and var/ folders, before the settings read them
    import django
    from django.conf import settings
    from django.core.management import call_command, get_commands
    from django.utils.module_loading import import_string

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    handlers_path = getattr(settings, "EVENT_HANDLERS", "")
    handlers = import_string(handlers_path) if handlers_path else {}
    commands = sorted(name for name in get_commands() if name in {"consume", "relay", "work"})
    print(json.dumps({"handlers": len(handlers), "commands": commands}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
