"""The processes compose and Kubernetes run, derived from the service registry and code."""

import ast

from stack.registry import SERVICES, Service


def _assigned(source: str, name: str) -> ast.expr | None:
    """The value assigned to the module-level name `name` in `source`, if any."""
    for node in ast.parse(source).body:
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        if isinstance(node, ast.Assign | ast.AnnAssign) and any(
            isinstance(target, ast.Name) and target.id == name for target in targets
        ):
            return node.value
    return None


def handles_events(service: Service) -> bool:
    """Whether the service's HANDLERS dict is non-empty."""
    value = _assigned((service.directory / service.name / "handlers.py").read_text(), "HANDLERS")
    assert value is not None, f"{service.name}: no HANDLERS in handlers.py"
    assert isinstance(value, ast.Dict), f"{service.name}: HANDLERS is not a dict literal"
    return bool(value.keys)


def runs_effects(service: Service) -> bool:
    """Whether the service's settings name outside effects (EVENT_EFFECTS: mail, provider calls)."""
    value = _assigned((service.directory / service.name / "settings.py").read_text(), "EVENT_EFFECTS")
    if value is None:
        return False
    assert isinstance(value, ast.Constant), f"{service.name}: EVENT_EFFECTS is not a string literal"
    return bool(value.value)


def expected_processes() -> dict[str, tuple[str, str]]:
    """Map each deployed process name (`<service>-web|consumer|relay`) to (service, command).

    A consumer (`manage.py consume`, which also carries out the effects) runs wherever the
    service handles events or has effects: without one, its mail or charges would never go.
    """
    processes = {}
    for service in SERVICES:
        processes[f"{service.name}-web"] = (service.name, "web")
        processes[f"{service.name}-relay"] = (service.name, "relay")
        if handles_events(service) or runs_effects(service):
            processes[f"{service.name}-consumer"] = (service.name, "consume")
    return processes
