"""The processes `manage_all.py up` starts, derived from the service registry and code."""

import ast

from stack.registry import SERVICES, Service


def handles_events(service: Service) -> bool:
    """Whether the service's HANDLERS dict is non-empty: `up` starts a consumer only then."""
    source = (service.directory / service.name / "handlers.py").read_text()
    for node in ast.walk(ast.parse(source)):
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        if isinstance(node, ast.Assign | ast.AnnAssign) and any(
            isinstance(target, ast.Name) and target.id == "HANDLERS" for target in targets
        ):
            assert isinstance(node.value, ast.Dict), f"{service.name}: HANDLERS is not a dict literal"
            return bool(node.value.keys)
    raise AssertionError(f"{service.name}: no HANDLERS in handlers.py")


def expected_processes() -> dict[str, tuple[str, str]]:
    """Map each process name (`<service>-web|consumer|relay`) to (service, command)."""
    processes = {}
    for service in SERVICES:
        processes[f"{service.name}-web"] = (service.name, "web")
        processes[f"{service.name}-relay"] = (service.name, "relay")
        if handles_events(service):
            processes[f"{service.name}-consumer"] = (service.name, "consume")
    return processes
