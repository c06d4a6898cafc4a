"""deploy/k8s: renders with kustomize, every object is valid Kubernetes, and is wired right."""

from urllib.parse import urlsplit

import pytest
import yaml
from kubernetes_validate import validate
from manifests import K8S, by_kind, config_env, resource
from processes import expected_processes

from stack.gateway import TEMPLATE, check_config, render_template, write_config
from stack.registry import SERVICES

# The oldest release the manifests target (the preStop `sleep` action is GA there).
KUBERNETES_VERSION = "1.33"
KUSTOMIZE_KINDS = {"Kustomization", "Component"}


def committed_manifests() -> list:
    """Every Kubernetes object in a YAML file under deploy/k8s (kustomize files aside)."""
    found = []
    for path in sorted(K8S.rglob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc and doc.get("kind") not in KUSTOMIZE_KINDS:
                name = f"{path.relative_to(K8S)}:{doc['kind']}/{doc['metadata']['name']}"
                found.append(pytest.param(doc, id=name))
    return found


def test_every_rendered_object_is_valid_kubernetes(rendered_k8s):
    assert len(rendered_k8s) > 40
    for doc in rendered_k8s:
        # Strict: an unknown or misspelt field fails; an unknown kind raises too.
        validate(doc, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("doc", committed_manifests())
def test_every_committed_manifest_is_valid_kubernetes(doc):
    validate(doc, KUBERNETES_VERSION, strict=True)


def test_the_validator_rejects_an_invalid_object(rendered_k8s):
    deployment = dict(resource(rendered_k8s, "Deployment", "users-web"))
    deployment["spec"] = {**deployment["spec"], "replica": 3}
    with pytest.raises(Exception, match="replica"):
        validate(deployment, KUBERNETES_VERSION, strict=True)


def test_everything_lands_in_one_namespace_with_a_pinned_image(rendered_k8s):
    for doc in rendered_k8s:
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == "commercex", doc["metadata"]["name"]
    for name, deployment in by_kind(rendered_k8s, "Deployment").items():
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            image = container["image"]
            assert ":" in image and not image.endswith(":latest"), name


def test_every_container_has_requests_limits_and_runs_as_non_root(rendered_k8s):
    workloads = [*by_kind(rendered_k8s, "Deployment").values(), *by_kind(rendered_k8s, "Job").values()]
    for workload in workloads:
        pod = workload["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        for container in [*pod.get("initContainers", []), *pod["containers"]]:
            assert container["resources"]["requests"]["cpu"], container["name"]
            assert container["resources"]["limits"]["memory"], container["name"]
            assert container["securityContext"]["readOnlyRootFilesystem"] is True
            assert container["securityContext"]["allowPrivilegeEscalation"] is False


@pytest.mark.parametrize("service", [service.name for service in SERVICES])
def test_web_process_is_probed_on_its_health_endpoint_scaled_and_protected(rendered_k8s, service):
    name = f"{service}-web"
    container = resource(rendered_k8s, "Deployment", name)["spec"]["template"]["spec"]["containers"][0]
    allowed_hosts = config_env()["DJANGO_ALLOWED_HOSTS"].split(",")
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        check = container[probe]["httpGet"]
        assert check["path"] == "/health", probe
        assert check["port"] == "http"
        host = {header["name"]: header["value"] for header in check["httpHeaders"]}["Host"]
        assert host in allowed_hosts, f"{probe} Host {host} is refused by DJANGO_ALLOWED_HOSTS"
    assert "replicas" not in resource(rendered_k8s, "Deployment", name)["spec"], "the HPA owns replicas"
    hpa = resource(rendered_k8s, "HorizontalPodAutoscaler", name)
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
    assert hpa["spec"]["minReplicas"] >= 2
    labels = resource(rendered_k8s, "Deployment", name)["spec"]["template"]["metadata"]["labels"]
    for selecting in (
        resource(rendered_k8s, "PodDisruptionBudget", name),
        resource(rendered_k8s, "Service", name),
    ):
        selector = selecting["spec"]["selector"]
        selector = selector.get("matchLabels", selector)
        assert selector.items() <= labels.items()
        assert selector["app.kubernetes.io/name"] == service


def test_each_process_reads_the_config_and_only_its_own_service_secret(rendered_k8s):
    config_name = next(
        name for name in by_kind(rendered_k8s, "ConfigMap") if name.startswith("commercex-config")
    )
    for name, (service, _) in expected_processes().items():
        pod = resource(rendered_k8s, "Deployment", name)["spec"]["template"]["spec"]
        for container in [*pod["initContainers"], *pod["containers"]]:
            sources = container["envFrom"]
            secrets = {source["secretRef"]["name"] for source in sources if "secretRef" in source}
            assert secrets == {"commercex-shared", f"commercex-{service}"}, name
            assert config_name in {
                source["configMapRef"]["name"] for source in sources if "configMapRef" in source
            }


def test_consumers_never_outnumber_partitions_and_relays_have_a_standby(rendered_k8s):
    partitions = int(config_env()["KAFKA_TOPIC_PARTITIONS"])
    for name, (_, command) in expected_processes().items():
        deployment = resource(rendered_k8s, "Deployment", name)
        if command == "consume":
            assert deployment["spec"]["replicas"] <= partitions
        if command == "relay":  # one leader (advisory lock) and one standby
            assert deployment["spec"]["replicas"] == 2
            assert resource(rendered_k8s, "PodDisruptionBudget", name)["spec"]["maxUnavailable"] == 1


def test_production_kafka_settings():
    config = config_env()
    assert config["DJANGO_ENV"] == "production"
    assert config["COMMERCEX_KAFKA_PROFILE"] == "kafka"
    assert config["KAFKA_REPLICATION_FACTOR"] == "3"
    assert len(config["KAFKA_BOOTSTRAP_SERVERS"].split(",")) >= 3


def test_migration_job_migrates_every_service_database(rendered_k8s):
    job = resource(rendered_k8s, "Job", "commercex-migrate")
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["args"] == ["migrate-all"]
    secrets = {source["secretRef"]["name"] for source in container["envFrom"] if "secretRef" in source}
    assert secrets == {"commercex-shared", *(f"commercex-{service.name}" for service in SERVICES)}
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"


def test_every_process_waits_for_migrations(rendered_k8s):
    for name in expected_processes():
        pod = resource(rendered_k8s, "Deployment", name)["spec"]["template"]["spec"]
        assert [init["args"] for init in pod["initContainers"]] == [["await-migrations"]], name


def test_gateway_serves_the_shared_template_with_every_placeholder_filled(rendered_k8s):
    assert (K8S / "gateway" / "commercex.conf.template").read_text() == TEMPLATE.read_text(), (
        "deploy/k8s/gateway/commercex.conf.template is a copy of gateway/commercex.conf.template "
        "(kustomize only reads files below deploy/k8s): copy it again"
    )
    deployment = resource(rendered_k8s, "Deployment", "gateway")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    values = {item["name"]: item["value"] for item in container["env"]}
    rendered = render_template(TEMPLATE.read_text(), values)  # raises on a missing placeholder
    services = by_kind(rendered_k8s, "Service")
    for service in SERVICES:
        host, port = values[f"{service.name.upper()}_UPSTREAM"].split(":")
        assert [p["port"] for p in services[host]["spec"]["ports"]] == [int(port)]
        assert f"server {host}:{port};" in rendered
    config_map = next(
        volume["configMap"]["name"]
        for volume in deployment["spec"]["template"]["spec"]["volumes"]
        if "configMap" in volume
    )
    templates = resource(rendered_k8s, "ConfigMap", config_map)["data"]
    assert templates["default.conf.template"] == TEMPLATE.read_text()
    assert resource(rendered_k8s, "HorizontalPodAutoscaler", "gateway")
    assert resource(rendered_k8s, "PodDisruptionBudget", "gateway")
    assert container["readinessProbe"]["httpGet"]["path"] == "/health"


def test_secrets_are_referenced_never_committed(rendered_k8s):
    assert not by_kind(rendered_k8s, "Secret")
    examples = {
        doc["metadata"]["name"]: doc for doc in yaml.safe_load_all((K8S / "secrets.example.yaml").read_text())
    }
    referenced = set()
    for workload in [*by_kind(rendered_k8s, "Deployment").values(), *by_kind(rendered_k8s, "Job").values()]:
        pod = workload["spec"]["template"]["spec"]
        for container in [*pod.get("initContainers", []), *pod["containers"]]:
            referenced |= {s["secretRef"]["name"] for s in container.get("envFrom", []) if "secretRef" in s}
    assert set(examples) == referenced
    for name, example in examples.items():
        assert all("change-me" in value for value in example["stringData"].values()), name
    assert "JWT_PRIVATE_KEY" in examples["commercex-users"]["stringData"]
    assert sum("JWT_PRIVATE_KEY" in example["stringData"] for example in examples.values()) == 1


def test_allowed_hosts_accept_the_orders_to_products_call(rendered_k8s):
    config = config_env()
    products_host = urlsplit(config["PRODUCTS_SERVICE_URL"]).hostname
    assert resource(rendered_k8s, "Service", products_host)
    assert products_host in config["DJANGO_ALLOWED_HOSTS"].split(",")


def test_only_the_gateway_and_orders_reach_the_web_processes(rendered_k8s):
    policy = resource(rendered_k8s, "NetworkPolicy", "web-from-gateway")
    allowed = [peer["podSelector"]["matchLabels"] for peer in policy["spec"]["ingress"][0]["from"]]
    assert allowed == [{"app.kubernetes.io/name": "gateway"}, {"app.kubernetes.io/name": "orders"}]
    selected = policy["spec"]["podSelector"]["matchLabels"].items()
    for service in SERVICES:
        web_labels = resource(rendered_k8s, "Deployment", f"{service.name}-web")["spec"]["template"][
            "metadata"
        ]
        assert selected <= web_labels["labels"].items()
    gateway_labels = resource(rendered_k8s, "Deployment", "gateway")["spec"]["template"]["metadata"]["labels"]
    assert allowed[0].items() <= gateway_labels.items()


def test_gateway_real_ip_config_is_valid_nginx_beside_the_gateway_template(tmp_path):
    """`nginx -t` on the gateway template plus real-ip.conf, both in one http block as in the pod."""
    ports = {service.name: 40000 + index for index, service in enumerate(SERVICES)}
    config = write_config(var=tmp_path, ports=ports, env={"GATEWAY_PORT": "40100"})
    site = config.parent / "gateway.conf"
    real_ip = (K8S / "gateway" / "real-ip.conf.template").read_text()
    site.write_text(site.read_text() + "\n" + real_ip)
    check_config(config)  # raises with nginx's message when invalid
    site.write_text(site.read_text() + "\nset_real_ip_from not-an-address;\n")
    with pytest.raises(RuntimeError, match="invalid gateway configuration"):
        check_config(config)
