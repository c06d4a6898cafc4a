"""What the deploy tests share: paths, pinned tools, and readers of the deployment files."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

from stack.registry import ROOT

DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
COMPOSE_FILE = ROOT / "docker-compose.yml"
PYTHON_IMAGE = "commercex:latest"


def tool(name: str) -> str:
    """Return the path of a pinned tool (requirements/dev.txt) installed next to this Python."""
    path = Path(sys.executable).parent / name
    found = str(path) if path.exists() else shutil.which(name)
    assert found, f"{name} is not installed: pip install -r requirements/dev.txt"
    return found


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, timeout=120, **kwargs)


def python_services(compose: dict) -> dict[str, dict]:
    """The compose services that run the CommerceX image."""
    return {name: spec for name, spec in compose["services"].items() if spec.get("image") == PYTHON_IMAGE}


def config_env() -> dict[str, str]:
    """deploy/k8s/config.env, the settings of the ConfigMap commercex-config."""
    lines = (K8S / "config.env").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def resource(docs: list[dict], kind: str, name: str) -> dict:
    matches = [doc for doc in docs if doc["kind"] == kind and doc["metadata"]["name"] == name]
    assert matches, f"no {kind} named {name}"
    return matches[0]


def by_kind(docs: list[dict], kind: str) -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc for doc in docs if doc["kind"] == kind}


_INTERPOLATION = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)(?::([-?])([^}]*))?\}")


def read_env_file(text: str) -> dict[str, str]:
    """Parse the KEY=VALUE lines of a compose .env file (double quotes stripped)."""
    values = {}
    for line in text.splitlines():
        if re.match(r"^[A-Z_][A-Z0-9_]*=", line):
            key, value = line.split("=", 1)
            values[key] = value[1:-1] if len(value) > 1 and value[0] == value[-1] == '"' else value
    return values


def interpolate(environment: dict, dotenv: dict[str, str]) -> dict[str, str]:
    """Resolve compose's ${VAR}, ${VAR:-default} and ${VAR:?error} against `dotenv`."""

    def value(match: re.Match) -> str:
        name, operator, argument = match.groups()
        if dotenv.get(name):
            return dotenv[name]
        assert operator != "?", f"compose would stop: {name} unset ({argument})"
        return argument if operator == "-" else ""

    return {key: _INTERPOLATION.sub(value, str(raw)) for key, raw in environment.items()}
