#!/usr/bin/env python
"""Run Django administrative commands for the users service."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "users.settings")
    from django.core.management import execute_from_command_line

    from common.local import prepare_local

    prepare_local()  # local keys and var/ folders (nothing in production)

    execute_from_command_line(sys.argv)
