import subprocess
import sys
from pathlib import Path

from common.testing import production_environment, rsa_key_pair

SERVICE_DIR = Path(__file__).resolve().parent.parent


def _production_env() -> dict:
    private_key, public_key = rsa_key_pair()
    return production_environment(private_key=private_key, public_key=public_key)


def _manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=SERVICE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_passes_without_a_warning_in_production():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=_production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_users_service_refuses_to_start_in_production_without_its_private_key():
    env = _production_env()
    del env["JWT_PRIVATE_KEY"]

    result = _manage("check", env=env)

    assert result.returncode != 0
    assert "JWT_PRIVATE_KEY must be set" in result.stderr
