"""Every process `manage_all.py up` starts also runs under docker compose and Kubernetes."""

from manifests import by_kind
from processes import expected_processes

from stack.registry import ROOT, SERVICES, WORKER_COMMANDS

COMMANDS = ROOT / "common" / "src" / "common" / "events" / "management" / "commands"


def test_up_starts_a_web_process_and_relay_per_service_and_some_consumers():
    processes = expected_processes()
    assert len(SERVICES) == 6
    assert {name for name, (_, command) in processes.items() if command == "web"} == {
        f"{service.name}-web" for service in SERVICES
    }
    assert any(command == "consume" for _, command in processes.values())


def test_the_image_commands_for_consumer_and_relay_exist_in_common():
    assert (COMMANDS / "consume.py").is_file()
    assert (COMMANDS / "relay.py").is_file()
    assert (COMMANDS / "work.py").is_file()


# `up` runs a service's consumer and relay as one process (`manage.py work`); compose and
# Kubernetes run them as two, because they scale apart (consumers with the partitions, the
# relay as one leader and a standby). Either way every part runs.
PARTS = {"work": {"consume", "relay"}, "consume": {"consume"}, "relay": {"relay"}}


def test_what_up_runs_per_service_the_deployments_run_too():
    deployed = {command for _, command in expected_processes().values()}
    for command in WORKER_COMMANDS:
        assert PARTS[command] <= deployed, command
    entrypoint = (ROOT / "deploy" / "docker-entrypoint.sh").read_text()
    assert all(f" {command})" in entrypoint or f"| {command}" in entrypoint for command in WORKER_COMMANDS)


def test_compose_runs_every_process_with_its_service_and_command(compose):
    python_services = {
        name: spec for name, spec in compose["services"].items() if spec.get("image") == "commercex:latest"
    }
    running = {
        name: (spec["environment"]["SERVICE"], spec["command"][0])
        for name, spec in python_services.items()
        if name != "migrate"
    }
    assert running == expected_processes()


def test_kubernetes_runs_every_process_with_its_service_and_command(rendered_k8s):
    config_maps = by_kind(rendered_k8s, "ConfigMap")
    running = {}
    for name, deployment in by_kind(rendered_k8s, "Deployment").items():
        if name == "gateway":
            continue
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        identity = [
            config_maps[source["configMapRef"]["name"]]["data"]
            for source in container["envFrom"]
            if "configMapRef" in source and "SERVICE" in config_maps[source["configMapRef"]["name"]]["data"]
        ]
        assert len(identity) == 1, f"{name}: no single ConfigMap gives SERVICE"
        running[name] = (identity[0]["SERVICE"], container["args"][0])
    assert running == expected_processes()


def test_kubernetes_has_a_service_for_every_web_process(rendered_k8s):
    services = by_kind(rendered_k8s, "Service")
    assert set(services) == {f"{service.name}-web" for service in SERVICES} | {"gateway"}
