import runpy
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

import common.settings.base
from common.local import prepare_local
from common.settings.env import env_rate
from common.settings.readers import database_settings, jwt_keys
from common.testing import production_environment, rsa_key_pair

TESTS_DIR = Path(__file__).resolve().parent


PRIVATE, PUBLIC = rsa_key_pair()
OTHER_PRIVATE, _ = rsa_key_pair()


def base_settings() -> dict:
    """Run common.settings.base afresh under the current environment; return its settings."""
    values = runpy.run_path(common.settings.base.__file__)
    return {name: value for name, value in values.items() if name.isupper()}


@pytest.fixture
def production(monkeypatch):
    """A complete production environment; tests remove what they check."""
    monkeypatch.setenv("DJANGO_ENV", "production")
    monkeypatch.setenv("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
    monkeypatch.setenv("DJANGO_ALLOWED_HOSTS", "shop.example.com,users")
    monkeypatch.setenv("JWT_PRIVATE_KEY", PRIVATE)
    monkeypatch.setenv("JWT_PUBLIC_KEY", PUBLIC)
    return monkeypatch


def test_production_settings_build_with_every_secret_given(production):
    settings = base_settings()

    assert settings["DEBUG"] is False
    assert settings["ALLOWED_HOSTS"] == ["shop.example.com", "users"]
    assert settings["SESSION_COOKIE_SECURE"] and settings["CSRF_COOKIE_SECURE"]
    assert settings["SIMPLE_JWT"]["VERIFYING_KEY"].strip() == PUBLIC.strip()
    assert jwt_keys(signs_tokens=True)[0].strip() == PRIVATE.strip()


def test_the_service_is_named_by_its_settings_module(monkeypatch):
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "widgets.settings")

    settings = base_settings()

    assert settings["SERVICE_NAME"] == "widgets"
    assert settings["ROOT_URLCONF"] == "widgets.urls"
    assert Path(settings["DATABASES"]["default"]["NAME"]).name == "widgets.sqlite3"


def test_reading_the_settings_writes_nothing(monkeypatch, tmp_path):
    monkeypatch.setenv("COMMERCEX_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("DJANGO_SECRET_KEY", "a-local-secret")
    monkeypatch.setenv("JWT_PUBLIC_KEY", PUBLIC)

    base_settings()

    assert not (tmp_path / "var").exists()


def test_locally_missing_keys_name_the_command_that_makes_them(monkeypatch, tmp_path):
    monkeypatch.setenv("COMMERCEX_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("DJANGO_SECRET_KEY", raising=False)

    with pytest.raises(ImproperlyConfigured, match=r"manage_all\.py up"):
        base_settings()

    prepare_local()
    assert base_settings()["SECRET_KEY"] == (tmp_path / "keys" / "django_secret_key").read_text()


@pytest.mark.parametrize(
    ("missing", "signs_tokens"),
    [
        ("DJANGO_SECRET_KEY", False),
        ("DJANGO_ALLOWED_HOSTS", False),
        ("JWT_PUBLIC_KEY", False),
        ("JWT_PRIVATE_KEY", True),
    ],
)
def test_production_fails_fast_on_a_missing_secret(production, missing, signs_tokens):
    production.delenv(missing)

    with pytest.raises(ImproperlyConfigured, match=f"{missing} must be set when DJANGO_ENV=production"):
        base_settings()
        jwt_keys(signs_tokens=signs_tokens)


def test_production_services_that_only_verify_tokens_need_no_private_key(production):
    production.delenv("JWT_PRIVATE_KEY")

    settings = base_settings()

    assert settings["SIMPLE_JWT"]["SIGNING_KEY"] == ""
    assert settings["SIMPLE_JWT"]["VERIFYING_KEY"].strip() == PUBLIC.strip()


def test_production_forces_debug_off(production):
    production.setenv("DJANGO_DEBUG", "true")

    assert base_settings()["DEBUG"] is False


def test_a_private_key_alone_implies_its_public_key(monkeypatch):
    monkeypatch.setenv("JWT_PRIVATE_KEY", PRIVATE)
    monkeypatch.delenv("JWT_PUBLIC_KEY", raising=False)

    assert jwt_keys(signs_tokens=True) == (PRIVATE.strip() + "\n", PUBLIC)


def test_a_key_given_on_one_line_with_escaped_newlines_is_accepted(monkeypatch):
    monkeypatch.setenv("JWT_PRIVATE_KEY", PRIVATE.replace("\n", "\\n"))
    monkeypatch.setenv("JWT_PUBLIC_KEY", PUBLIC.replace("\n", "\\n"))

    assert jwt_keys(signs_tokens=True) == (PRIVATE.strip() + "\n", PUBLIC.strip() + "\n")


@pytest.mark.parametrize(
    ("private", "public", "message"),
    [
        (OTHER_PRIVATE, PUBLIC, "not the public half"),
        ("", PUBLIC, "without JWT_PRIVATE_KEY"),
        ("not a pem", "", "not a PEM"),
    ],
    ids=["mismatched", "public-only", "garbage"],
)
def test_unusable_signing_keys_fail_fast(monkeypatch, private, public, message):
    monkeypatch.setenv("JWT_PRIVATE_KEY", private)
    monkeypatch.setenv("JWT_PUBLIC_KEY", public)

    with pytest.raises(ImproperlyConfigured, match=message):
        jwt_keys(signs_tokens=True)


def test_locally_a_missing_key_pair_is_generated_and_shared(monkeypatch):
    monkeypatch.delenv("JWT_PRIVATE_KEY", raising=False)
    monkeypatch.delenv("JWT_PUBLIC_KEY", raising=False)

    signer_private, signer_public = jwt_keys(signs_tokens=True)
    verifier_private, verifier_public = jwt_keys(signs_tokens=False)

    assert "PRIVATE KEY" in signer_private and verifier_private == ""
    assert signer_public == verifier_public


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("100/15m", "100/15m"),
        ("5/S", "5/s"),
        ("1000/1m", "1000/1m"),
        ("10/h", "10/h"),
        ("off", "off"),
        ("OFF", "off"),
    ],
)
def test_rates_are_read_as_count_per_period_or_off(monkeypatch, value, expected):
    monkeypatch.setenv("RATE_LIMIT", value)

    assert env_rate("RATE_LIMIT", "1/1m") == expected


@pytest.mark.parametrize("value", ["abc", "100", "100/15", "100/15x", "-1/1m", "10/0m", "1.5/1m"])
def test_a_malformed_rate_fails_fast(monkeypatch, value):
    monkeypatch.setenv("RATE_LIMIT", value)

    with pytest.raises(ImproperlyConfigured, match="RATE_LIMIT"):
        env_rate("RATE_LIMIT", "1/1m")


def test_a_service_database_comes_from_its_url(monkeypatch):
    monkeypatch.setenv("WIDGETS_DATABASE_URL", "postgres://shop:pw@db.internal:5433/widgets")

    config = database_settings("widgets")

    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["HOST"], config["PORT"], config["NAME"]) == ("db.internal", 5433, "widgets")
    assert config["OPTIONS"]["connect_timeout"] == 2


def test_without_a_url_a_service_gets_its_own_sqlite_file_under_var(monkeypatch):
    monkeypatch.delenv("WIDGETS_DATABASE_URL", raising=False)

    config = database_settings("widgets")

    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert Path(config["NAME"]).name == "widgets.sqlite3"
    assert Path(config["NAME"]).parent.name == "db"


def _production_env(**overrides) -> dict:
    return production_environment(
        public_key=PUBLIC,
        DJANGO_SETTINGS_MODULE="testsvc.settings",
        PYTHONPATH=str(TESTS_DIR),
        **overrides,
    )


def _django(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "django", *args],
        cwd=TESTS_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_passes_without_a_warning_in_production():
    result = _django("check", "--deploy", "--fail-level", "WARNING", env=_production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_a_production_process_without_a_secret_key_refuses_to_start():
    env = _production_env()
    del env["DJANGO_SECRET_KEY"]

    result = _django("check", env=env)

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set when DJANGO_ENV=production" in result.stderr
