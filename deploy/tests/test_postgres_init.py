"""deploy/postgres/init-databases.sh against the real PostgreSQL server the tests use."""

import os
import uuid
from urllib.parse import urlsplit

import pytest
from manifests import DEPLOY, run

INIT_SCRIPT = DEPLOY / "postgres" / "init-databases.sh"


@pytest.fixture
def server() -> dict:
    """libpq settings for the server named by USERS_DATABASE_URL (as a superuser, in CI)."""
    url = urlsplit(os.environ.get("USERS_DATABASE_URL", ""))
    if url.scheme not in {"postgres", "postgresql"}:
        pytest.skip("needs PostgreSQL: set USERS_DATABASE_URL=postgres://postgres@HOST:PORT/DB")
    return {
        "PATH": os.environ["PATH"],
        "PGHOST": url.hostname or "127.0.0.1",
        "PGPORT": str(url.port or 5432),
        "PGPASSWORD": url.password or "",
        "POSTGRES_USER": url.username or "postgres",
    }


def psql(env: dict, *args: str, user: str | None = None, password: str = "", database: str = "postgres"):
    connection = {**env, "PGUSER": user or env["POSTGRES_USER"], "PGPASSWORD": password or env["PGPASSWORD"]}
    return run(["psql", "-v", "ON_ERROR_STOP=1", "-X", "-q", "-d", database, *args], env=connection)


def test_each_service_gets_its_own_role_and_database_and_nothing_else(server):
    suffix = uuid.uuid4().hex[:8]
    names = {service: f"cxdeploy_{suffix}_{service}" for service in ("alpha", "beta")}
    passwords = {service: uuid.uuid4().hex for service in names}
    env = {
        **server,
        **{
            f"{service.upper()}_DATABASE_URL": f"postgres://{name}:{passwords[service]}@db:5432/{name}?sslmode=disable"
            for service, name in names.items()
        },
    }
    try:
        for _ in range(2):  # a second run (a restarted container) changes nothing and fails nothing
            result = run(["sh", str(INIT_SCRIPT)], env=env)
            assert result.returncode == 0, result.stdout + result.stderr
        alpha, beta = names["alpha"], names["beta"]
        owner = psql(server, "-tAc", "CREATE TABLE t (id int); SELECT current_user",
                     user=alpha, password=passwords["alpha"], database=alpha)  # fmt: skip
        assert owner.returncode == 0, owner.stderr
        assert owner.stdout.strip() == alpha
        trespass = psql(server, "-tAc", "SELECT 1", user=alpha, password=passwords["alpha"], database=beta)
        assert trespass.returncode != 0
        assert "permission denied" in trespass.stderr
    finally:
        for name in names.values():
            psql(server, "-c", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            psql(server, "-c", f'DROP ROLE IF EXISTS "{name}"')


def test_init_fails_loudly_without_any_database_url(server):
    result = run(["sh", str(INIT_SCRIPT)], env=server)
    assert result.returncode != 0
    assert "no *_DATABASE_URL" in result.stderr
