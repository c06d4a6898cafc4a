"""Machine prerequisites of `up`: Debian packages (nginx, redis-server) and PostgreSQL databases."""

import os
import shutil
import subprocess
from urllib.parse import urlparse, urlunparse


def _apt_prefix() -> list[str] | None:
    """Return how to run apt-get as root here (directly, or through passwordless sudo)."""
    if shutil.which("apt-get") is None:
        return None
    if os.geteuid() == 0:
        return []
    sudo = shutil.which("sudo")
    if sudo and subprocess.run([sudo, "-n", "true"], capture_output=True).returncode == 0:
        return [sudo, "-n"]
    return None


def install_packages(packages: list[str], *, say) -> bool:
    """apt-get install `packages` when this process may; say what to run otherwise."""
    if not packages:
        return True
    prefix = _apt_prefix()
    command = f"sudo apt-get install -y {' '.join(packages)}"
    if prefix is None:
        say(f"missing: {', '.join(packages)}. Install with: {command}")
        return False
    say(f"installing {', '.join(packages)} with apt-get ...")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    apt = [*prefix, "apt-get"]
    subprocess.run([*apt, "update", "-qq"], env=env, stdout=subprocess.DEVNULL)
    result = subprocess.run(
        [*apt, "install", "-y", "-qq", "--no-install-recommends", *packages],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    if result.returncode != 0:
        say(f"apt-get failed:\n{result.stderr.strip()}\nInstall with: {command}")
        return False
    return True


def ensure_postgres_database(url: str) -> bool:
    """Create the PostgreSQL database named in `url` when it does not exist; True if created."""
    import psycopg
    from psycopg import sql

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    if not name:
        return False
    try:
        psycopg.connect(url, connect_timeout=5).close()
        return False
    except psycopg.OperationalError as exc:
        if "does not exist" not in str(exc):
            raise
    maintenance = urlunparse(parsed._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True, connect_timeout=5) as connection:
        try:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        except psycopg.errors.DuplicateDatabase:
            return False
    return True
