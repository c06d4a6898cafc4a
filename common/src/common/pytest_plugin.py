"""pytest plugin (`-p common.pytest_plugin` in each pytest.ini): prepare var/ before Django loads settings."""

import pytest

from common.local import prepare_local


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args):
    # A wrapper runs before pytest-django's hook, which imports the settings.
    prepare_local()
    return (yield)
