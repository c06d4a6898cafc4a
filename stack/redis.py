"""Find a running Redis, or start redis-server when it is installed."""

import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlparse

from stack import procs


def redis_reachable(url: str) -> bool:
    parsed = urlparse(url)
    return procs.port_open(parsed.hostname or "127.0.0.1", parsed.port or 6379)


def ensure_redis(*, log: Path) -> tuple[str, subprocess.Popen | None]:
    """Return a Redis URL that answers, and the process started for it, if any."""
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    if redis_reachable(url):
        return url, None
    binary = shutil.which("redis-server")
    if binary is None:
        return url, None
    port = urlparse(url).port or 6379
    if procs.port_open("127.0.0.1", port):
        port = procs.free_port()
    process = procs.start(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
        log=log,
    )
    procs.wait_for_port("127.0.0.1", port, timeout=10)
    return f"redis://127.0.0.1:{port}/0", process


def redis_server_command(*, port: int) -> list[str] | None:
    """Return the command line of a throwaway redis-server on 127.0.0.1:`port`, if installed."""
    binary = shutil.which("redis-server")
    if binary is None:
        return None
    return [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"]
