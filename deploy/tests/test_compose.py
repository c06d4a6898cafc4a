"""docker-compose.yml: valid against the compose-spec schema, wired the way DEPLOY.md says."""

import re
from urllib.parse import urlsplit

import pytest
import yaml
from manifests import COMPOSE_FILE, DEPLOY, python_services, run, tool

from stack.gateway import TEMPLATE, render_template
from stack.registry import SERVICES

REQUIRED_VARIABLE = re.compile(r"\$\{([A-Z_][A-Z0-9_]*):\?")
EXAMPLE = DEPLOY / "compose.env.example"


def check_compose_schema(path) -> tuple[int, str]:
    result = run([tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(path)])
    return result.returncode, result.stdout + result.stderr


def test_compose_file_matches_the_compose_spec_schema():
    code, output = check_compose_schema(COMPOSE_FILE)
    assert code == 0, output


def test_the_schema_check_rejects_a_broken_compose_file(tmp_path):
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(
        "services:\n  web:\n    image: x\n    depends_on:\n"
        "      db:\n        condition: when_it_feels_like_it\n"
    )
    code, output = check_compose_schema(broken)
    assert code != 0, output


def test_every_python_container_shares_the_one_anchor(compose):
    # In PyYAML's node graph an alias is the anchored node itself: compare identities.
    top = {key.value: value for key, value in yaml.compose(COMPOSE_FILE.read_text()).value}
    anchor = top["x-python"]
    anchored = {
        name.value
        for name, spec in top["services"].value
        if any(key.value == "<<" and merged is anchor for key, merged in spec.value)
    }
    assert anchored == set(python_services(compose))
    assert {"migrate", "users-web", "users-relay", "orders-consumer"} <= anchored


def test_python_containers_run_hardened(compose):
    for name, spec in python_services(compose).items():
        assert spec["read_only"] is True, name
        assert spec["cap_drop"] == ["ALL"], name
        assert "no-new-privileges:true" in spec["security_opt"], name


def test_kafka_runs_in_kraft_mode_without_zookeeper(compose):
    kafka = compose["services"]["kafka"]
    assert kafka["image"].startswith("apache/kafka:")
    assert set(kafka["environment"]["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    for name, spec in compose["services"].items():
        assert "zookeeper" not in f"{name} {spec.get('image', '')}".lower()
        assert not any("ZOOKEEPER" in key for key in spec.get("environment", {})), name
    for spec in python_services(compose).values():
        assert spec["environment"]["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
        assert spec["environment"]["COMMERCEX_KAFKA_PROFILE"] == "kafka"


def test_every_dependency_waits_on_a_real_condition(compose):
    services = compose["services"]
    for name, spec in services.items():
        for dependency, rule in spec.get("depends_on", {}).items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            condition = rule["condition"]
            if condition == "service_healthy":
                check = services[dependency].get("healthcheck", {})
                assert check.get("test") and not check.get("disable"), f"{dependency} has no health check"
            else:
                assert (name, dependency, condition) == (name, "migrate", "service_completed_successfully")


def test_web_processes_are_health_checked_and_the_gateway_waits_for_them(compose):
    services = compose["services"]
    for service in SERVICES:
        web = services[f"{service.name}-web"]
        assert web["healthcheck"]["test"] == ["CMD", "commercex", "healthcheck"]
        assert services["gateway"]["depends_on"][f"{service.name}-web"] == {"condition": "service_healthy"}


def test_each_container_gets_only_its_own_database_and_only_users_the_signing_key(compose):
    for name, spec in python_services(compose).items():
        environment = spec["environment"]
        databases = {key for key in environment if key.endswith("_DATABASE_URL")}
        if name == "migrate":
            assert databases == {service.database_env for service in SERVICES}
            continue
        service = environment["SERVICE"]
        assert databases == {f"{service.upper()}_DATABASE_URL"}, name
        assert ("JWT_PRIVATE_KEY" in environment) == (service == "users"), name


def test_gateway_uses_the_shared_template_with_every_placeholder_filled(compose):
    gateway = compose["services"]["gateway"]
    assert (
        "./gateway/commercex.conf.template:/etc/nginx/templates/default.conf.template:ro"
        in gateway["volumes"]
    )
    values = {key: str(value) for key, value in gateway["environment"].items()}
    rendered = render_template(TEMPLATE.read_text(), values)  # raises on a missing placeholder
    for service in SERVICES:
        upstream = values[f"{service.name.upper()}_UPSTREAM"]
        assert upstream == f"{service.name}-web:8000"
        assert f"server {upstream};" in rendered


def test_postgres_creates_every_service_database_from_its_url(compose):
    postgres = compose["services"]["postgres"]
    assert {key for key in postgres["environment"] if key.endswith("_DATABASE_URL")} == {
        service.database_env for service in SERVICES
    }
    assert any(
        volume.endswith("/docker-entrypoint-initdb.d/10-init-databases.sh:ro")
        for volume in postgres["volumes"]
    )


def test_secrets_are_never_in_the_compose_file():
    text = COMPOSE_FILE.read_text()
    assert "BEGIN PRIVATE KEY" not in text
    assert not re.search(r"postgres://[^:$]+:[^@$]+@", text)


@pytest.mark.parametrize("source", ["example", "generated"])
def test_the_env_file_sets_every_variable_compose_requires(source, tmp_path):
    required = set(REQUIRED_VARIABLE.findall(COMPOSE_FILE.read_text()))
    if source == "example":
        text = EXAMPLE.read_text()
    else:
        result = run([tool("python"), str(DEPLOY / "generate_env.py"), "--output", str(tmp_path / ".env")])
        assert result.returncode == 0, result.stderr
        text = (tmp_path / ".env").read_text()
        assert "change-me" not in "".join(line for line in text.splitlines() if not line.startswith("#"))
    defined = {line.split("=", 1)[0] for line in text.splitlines() if re.match(r"^[A-Z_]+=", line)}
    assert required <= defined, f"missing in the {source} env file: {sorted(required - defined)}"
    assert len(required) >= 10


def test_allowed_hosts_accept_the_health_check_and_the_orders_to_products_call(compose):
    environment = compose["services"]["orders-web"]["environment"]
    setting = re.fullmatch(r"\$\{DJANGO_ALLOWED_HOSTS:-(.+)\}", environment["DJANGO_ALLOWED_HOSTS"])
    default_hosts = setting.group(1)
    products_host = urlsplit(environment["PRODUCTS_SERVICE_URL"]).hostname
    assert products_host in compose["services"]
    assert {"localhost", products_host} <= set(default_hosts.split(","))
