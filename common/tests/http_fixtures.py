"""Helpers shared by common's HTTP tests (imported explicitly; common/tests has no conftest of its own)."""

import socket
import uuid
from contextlib import contextmanager

from django.core.cache import cache
from django.db import connections
from django.db.utils import load_backend


def use_own_cache_prefix(settings):
    """Give a test its own Redis key prefix and delete its keys afterwards (never flush Redis)."""
    caches = {name: dict(config) for name, config in settings.CACHES.items()}
    caches["default"]["KEY_PREFIX"] = f"test-common-{uuid.uuid4().hex}"
    settings.CACHES = caches
    yield
    cache.delete_pattern("*")


def dead_port() -> int:
    """Return a local TCP port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def unreachable_database():
    """Point the default connection at a database that cannot be reached, then restore it.

    PostgreSQL: a dead port on localhost. SQLite: a file in a folder that does not exist.
    The real connection (and the test's transaction on it) is left untouched.
    """
    original = connections["default"]
    settings_dict = dict(original.settings_dict)
    if settings_dict["ENGINE"].endswith("sqlite3"):
        settings_dict["NAME"] = f"/nonexistent-{uuid.uuid4().hex}/db.sqlite3"
    else:
        settings_dict.update(HOST="127.0.0.1", PORT=str(dead_port()))
    broken = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, "default")
    connections["default"] = broken
    try:
        yield
    finally:
        connections["default"] = original
        broken.close()
