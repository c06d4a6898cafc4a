"""Settings values that take more than one variable to read: a service's database, the JWT keys."""

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from common.jwks import split_pems, unique_keys
from common.keys import local_jwt_key_pair, public_pem_of
from common.paths import var_dir
from common.settings.env import env


def database_settings(service: str) -> dict:
    """Read `<SERVICE>_DATABASE_URL`; default to a SQLite file under var/db/."""
    default = f"sqlite:///{var_dir() / 'db' / f'{service}.sqlite3'}"
    url = env.str(f"{service.upper()}_DATABASE_URL", default=default)
    config = dj_database_url.parse(
        url, conn_max_age=env.int("DB_CONN_MAX_AGE", default=60), conn_health_checks=True
    )
    if config["ENGINE"].endswith("postgresql"):
        # A dead database must fail a request (and the health check) quickly, not hang it.
        config.setdefault("OPTIONS", {})["connect_timeout"] = env.int("DB_CONNECT_TIMEOUT", default=2)
        if env.bool("DB_PREPARED_STATEMENTS", default=True):
            # Parameters bound by the server and statements run 5 times prepared: PostgreSQL
            # skips parsing and planning the handlers' repeated statements, and psycopg
            # quoting them. Off (DB_PREPARED_STATEMENTS=false) behind a pooler in transaction
            # mode that does not track prepared statements.
            config["OPTIONS"].update({"server_side_binding": True, "prepare_threshold": 5})
    else:
        # SQLite: wait for a concurrent writer instead of failing with "database is locked".
        config.setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
        config["CONN_MAX_AGE"] = 0
    return config


def _pem(name: str, *, required_in_production: bool) -> str:
    """Read a PEM key; a one-line value with literal `\\n`s (as some secret stores keep it) is accepted."""
    value = env.str(name, default=env.unless_production("") if required_in_production else "")
    return value.replace("\\n", "\n").strip() + "\n" if value else ""


def jwt_keys(*, signs_tokens: bool) -> tuple[str, str]:
    """Return (private PEM or "", public PEM) from JWT_PRIVATE_KEY / JWT_PUBLIC_KEY.

    Locally, a missing pair is the one under var/keys/ (shared by every service); a given
    private key alone implies its public key. Production requires both (the public one
    only, outside the service that signs tokens).
    """
    private_pem = _pem("JWT_PRIVATE_KEY", required_in_production=signs_tokens)
    public_pem = _pem("JWT_PUBLIC_KEY", required_in_production=True)
    try:
        if not public_pem and not private_pem:
            private_pem, public_pem = local_jwt_key_pair()
        elif not public_pem:
            public_pem = public_pem_of(private_pem)
        elif signs_tokens and not private_pem:
            raise ImproperlyConfigured(
                "JWT_PUBLIC_KEY is set without JWT_PRIVATE_KEY: tokens cannot be signed"
            )
        elif signs_tokens and public_pem_of(private_pem).strip() != public_pem.strip():
            raise ImproperlyConfigured("JWT_PUBLIC_KEY is not the public half of JWT_PRIVATE_KEY")
    except ValueError as error:  # cryptography could not load the PEM
        raise ImproperlyConfigured(f"JWT_PRIVATE_KEY is not a PEM RSA private key: {error}") from error
    return (private_pem if signs_tokens else ""), public_pem


def jwt_public_keys(current_pem: str) -> list[str]:
    """Every public key a token may be signed with: `current_pem` (JWT_PUBLIC_KEY), then JWT_PUBLIC_KEYS.

    JWT_PUBLIC_KEYS holds further PEM public keys (concatenated, as a PEM bundle): the
    previous key while its tokens expire, or the next one before the users service signs
    with it (docs/DEPLOY.md, "Rotating the JWT key"). Tokens name their key with `kid`.
    """
    others = split_pems(env.str("JWT_PUBLIC_KEYS", default=""))
    if env.str("JWT_PUBLIC_KEYS", default="").strip() and not others:
        raise ImproperlyConfigured("JWT_PUBLIC_KEYS holds no PEM public key (-----BEGIN PUBLIC KEY-----)")
    try:
        return unique_keys([current_pem, *others])
    except ValueError as error:
        raise ImproperlyConfigured(f"JWT_PUBLIC_KEY(S) is not a PEM RSA public key: {error}") from error
