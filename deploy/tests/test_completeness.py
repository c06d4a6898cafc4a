"""Every part of what `manage_all.py up` runs also runs under docker compose and Kubernetes."""

import ast

from manifests import by_kind
from processes import expected_processes, runs_effects

from stack.registry import ROOT, SERVICES, WORKER_COMMANDS

COMMANDS = ROOT / "common" / "src" / "common" / "events" / "management" / "commands"


def compose_processes(compose: dict) -> dict[str, tuple[str, str]]:
    """Map each compose container of the image (but the migration) to (service, command)."""
    return {
        name: (spec["environment"]["SERVICE"], spec["command"][0])
        for name, spec in compose["services"].items()
        if spec.get("image") == "commercex:latest" and name != "migrate"
    }


def k8s_processes(rendered_k8s: list[dict]) -> dict[str, tuple[str, str]]:
    """Map each Deployment of the image to (service, command), SERVICE from its identity ConfigMap."""
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
    return running


def carries_out_effects(command: str) -> bool:
    """Whether `manage.py <command>` runs a consumer loop given the service's EffectRunner."""
    path = COMMANDS / f"{command}.py"
    if not path.is_file():
        return False
    return any(
        isinstance(node, ast.Call)
        and getattr(node.func, "id", "") == "EventConsumer"
        and any(
            keyword.arg == "effects"
            and isinstance(keyword.value, ast.Call)
            and getattr(keyword.value.func, "id", "") == "EffectRunner"
            for keyword in node.keywords
        )
        for node in ast.walk(ast.parse(path.read_text()))
    )


def test_deployments_run_a_web_process_and_relay_per_service_and_some_consumers():
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
# relay as one leader and a standby): docs/decisions/0004-event-workers-in-deployments.md.
# Either way every part runs.
PARTS = {"work": {"consume", "relay"}, "consume": {"consume"}, "relay": {"relay"}}


def test_what_up_runs_per_service_the_deployments_run_too():
    deployed = {command for _, command in expected_processes().values()}
    for command in WORKER_COMMANDS:
        assert PARTS[command] <= deployed, command
    entrypoint = (ROOT / "deploy" / "docker-entrypoint.sh").read_text()
    assert all(f" {command})" in entrypoint or f"| {command}" in entrypoint for command in WORKER_COMMANDS)


def test_the_consumer_carries_out_the_effects_and_the_relay_alone_does_not():
    assert carries_out_effects("consume")
    assert carries_out_effects("work")
    assert not carries_out_effects("relay")


def test_every_service_with_outside_effects_runs_them_under_compose_and_kubernetes(compose, rendered_k8s):
    with_effects = {service.name for service in SERVICES if runs_effects(service)}
    assert {"notifications", "payments"} <= with_effects  # mail; the payment provider's calls
    for deployed in (compose_processes(compose), k8s_processes(rendered_k8s)):
        running = {service for service, command in deployed.values() if carries_out_effects(command)}
        assert with_effects <= running, f"effects of {sorted(with_effects - running)} never run"


def test_compose_runs_every_process_with_its_service_and_command(compose):
    assert compose_processes(compose) == expected_processes()


def test_kubernetes_runs_every_process_with_its_service_and_command(rendered_k8s):
    assert k8s_processes(rendered_k8s) == expected_processes()


def test_kubernetes_has_a_service_for_every_web_process(rendered_k8s):
    services = by_kind(rendered_k8s, "Service")
    assert set(services) == {f"{service.name}-web" for service in SERVICES} | {"gateway"}
