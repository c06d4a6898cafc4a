"""Monitoring files: alert rules and scrape configs Prometheus accepts, the compose profile
`observability` wired to them, Kubernetes pods annotated for scraping (docs/OBSERVABILITY.md).
Whether the dashboard's and rules' metrics exist is checked on a live system: tests/."""

import json
import shutil
import subprocess

import pytest
import yaml
from manifests import COMPOSE_FILE, by_kind

from stack.prometheus import scrape_config
from stack.registry import SERVICES

DEPLOY = COMPOSE_FILE.parent / "deploy"
ALERTS = DEPLOY / "prometheus" / "alerts.yml"
COMPOSE_PROMETHEUS = DEPLOY / "prometheus" / "prometheus.compose.yml"
DASHBOARD = DEPLOY / "grafana" / "commercex-dashboard.json"


def promtool() -> str:
    found = shutil.which("promtool")
    assert found, "promtool (Debian package prometheus) is needed: .ci/run installs it"
    return found


def check(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([promtool(), "check", *args], capture_output=True, text=True, timeout=60)


def test_the_alert_rules_are_valid_and_cover_lag_dead_letters_backlog_and_sagas():
    result = check("rules", str(ALERTS))
    assert result.returncode == 0, result.stdout + result.stderr
    rules = yaml.safe_load(ALERTS.read_text())["groups"][0]["rules"]
    text = {rule["alert"]: rule["expr"] for rule in rules}
    for metric in (
        "commercex_consumer_lag",
        "commercex_dlq_messages_total",
        "commercex_outbox_pending",
        "commercex_saga_duration_seconds_bucket",
    ):
        assert any(metric in expr for expr in text.values()), metric
    assert all(rule["annotations"].get("runbook", "").startswith("docs/OBSERVABILITY.md#") for rule in rules)


def test_promtool_rejects_a_broken_rule(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("groups:\n  - name: x\n    rules:\n      - alert: X\n        expr: sum(rate(x[5m])\n")
    assert check("rules", str(broken)).returncode != 0


@pytest.mark.parametrize("source", ["compose", "up"])
def test_the_scrape_configs_are_valid(source, tmp_path):
    if source == "compose":
        text = COMPOSE_PROMETHEUS.read_text().replace("/etc/prometheus/alerts.yml", str(ALERTS))
    else:
        text = scrape_config(ports={s.name: s.port for s in SERVICES}, rules=ALERTS)
    config = tmp_path / "prometheus.yml"
    config.write_text(text)
    result = check("config", str(config))
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_prometheus_scrapes_every_process_container_it_runs(compose):
    targets = {
        target
        for job in yaml.safe_load(COMPOSE_PROMETHEUS.read_text())["scrape_configs"]
        for group in job["static_configs"]
        for target in group["targets"]
    }
    commands = {"web": 8000, "consume": 9100, "relay": 9100}
    expected = {
        f"{name}:{commands[spec['command'][0]]}"
        for name, spec in compose["services"].items()
        if spec.get("command", [""])[0] in commands
    }
    assert targets == expected


def test_the_observability_profile_runs_prometheus_grafana_and_jaeger_only_when_asked(compose):
    services = compose["services"]
    for name in ("prometheus", "grafana", "jaeger"):
        assert services[name]["profiles"] == ["observability"], name
    mounts = " ".join(services["prometheus"]["volumes"] + services["grafana"]["volumes"])
    assert "alerts.yml" in mounts and "commercex-dashboard.json" in mounts
    datasource = yaml.safe_load((DEPLOY / "grafana/provisioning/datasources/prometheus.yml").read_text())
    uids = {panel["datasource"]["uid"] for panel in json.loads(DASHBOARD.read_text())["panels"]}
    assert uids == {datasource["datasources"][0]["uid"]}


def test_every_commercex_pod_is_annotated_for_scraping_on_the_port_it_serves(rendered_k8s):
    ports = {"web": "8000", "consumer": "9100", "relay": "9100"}
    deployments = [d for name, d in by_kind(rendered_k8s, "Deployment").items() if name != "gateway"]
    assert deployments
    for deployment in deployments:
        template = deployment["spec"]["template"]["metadata"]
        component = template["labels"]["app.kubernetes.io/component"]
        annotations = template.get("annotations", {})
        assert annotations.get("prometheus.io/scrape") == "true", deployment["metadata"]["name"]
        assert annotations.get("prometheus.io/port") == ports[component]
        assert annotations.get("prometheus.io/path") == "/metrics"
