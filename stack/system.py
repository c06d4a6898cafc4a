"""Machine prerequisites of `up`: Debian packages (nginx, redis-server), Redis, PostgreSQL databases."""

import contextlib
import os
import shutil
import subprocess
from urllib.parse import urlparse, urlunparse

from stack import procs

# The databases a harness makes and drops for itself: commercex_<label>_<service>.
OWN_DATABASE_PREFIX = "commercex_"
OWN_DATABASE_LABELS = ("e2e", "soak", "bench", "contract")


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


@contextlib.contextmanager
def maintenance(url: str):
    """An autocommit connection to the `postgres` database of `url`'s server, and `url`'s database name."""
    import psycopg

    parsed = urlparse(url)
    server = urlunparse(parsed._replace(path="/postgres"))
    with psycopg.connect(server, autocommit=True, connect_timeout=5) as connection:
        yield connection, parsed.path.lstrip("/")


def ensure_postgres_database(url: str) -> bool:
    """Create the PostgreSQL database named in `url` when it does not exist; True if created."""
    import psycopg
    from psycopg import sql

    if not urlparse(url).path.lstrip("/"):
        return False
    try:
        psycopg.connect(url, connect_timeout=5).close()
        return False
    except psycopg.OperationalError as exc:
        if "does not exist" not in str(exc):
            raise
    with maintenance(url) as (connection, name), contextlib.suppress(psycopg.errors.DuplicateDatabase):
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return True
    return False


def recreate_postgres_database(url: str, *, create: bool = True) -> None:
    """Drop (if any) and create the database named in `url`; only a harness's own databases get here."""
    from psycopg import sql

    name = urlparse(url).path.lstrip("/")
    if not name.startswith(tuple(f"{OWN_DATABASE_PREFIX}{label}_" for label in OWN_DATABASE_LABELS)):
        raise ValueError(f"not a harness's own database: {name}")
    with maintenance(url) as (connection, _):
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        if create:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def own_database_url(url: str, *, label: str, service: str = "") -> str:
    """The URL of database commercex_<label>[_<service>] on the server of `url` (a harness's own)."""
    if label.split("_")[0] not in OWN_DATABASE_LABELS:
        raise ValueError(f"not a harness label: {label}")
    name = f"{OWN_DATABASE_PREFIX}{label}" + (f"_{service}" if service else "")
    return urlunparse(urlparse(url)._replace(path=f"/{name}"))


def is_postgres(url: str) -> bool:
    return url.startswith(("postgres://", "postgresql://"))


def postgres_url(env: dict | None = None) -> str | None:
    """The first <SERVICE>_DATABASE_URL of `env` (default: this process's) that points at PostgreSQL."""
    from stack.registry import existing_services

    env = os.environ if env is None else env
    return next((u for s in existing_services() if is_postgres(u := env.get(s.database_env, ""))), None)


def redis_reachable(url: str) -> bool:
    parsed = urlparse(url)
    return procs.port_open(parsed.hostname or "127.0.0.1", parsed.port or 6379)


def redis_server_command(*, port: int) -> list[str] | None:
    """Return the command line of a throwaway redis-server on 127.0.0.1:`port`, if installed."""
    binary = shutil.which("redis-server")
    if binary is None:
        return None
    return [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"]
