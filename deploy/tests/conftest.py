"""Shared fixtures: the parsed compose file, the rendered Kubernetes manifests, tool paths."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from stack.registry import ROOT

DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
COMPOSE_FILE = ROOT / "docker-compose.yml"


def tool(name: str) -> str:
    """Return the path of a pinned tool (requirements/dev.txt) installed next to this Python."""
    path = Path(sys.executable).parent / name
    found = str(path) if path.exists() else shutil.which(name)
    assert found, f"{name} is not installed: pip install -r requirements/dev.txt"
    return found


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, timeout=120, **kwargs)


@pytest.fixture(scope="session")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="session")
def rendered_k8s() -> list[dict]:
    """Render deploy/k8s exactly as `kubectl apply -k deploy/k8s` would, offline."""
    result = run([tool("kubectl"), "kustomize", str(K8S)])
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def resource(docs: list[dict], kind: str, name: str) -> dict:
    matches = [doc for doc in docs if doc["kind"] == kind and doc["metadata"]["name"] == name]
    assert matches, f"no {kind} named {name}"
    return matches[0]


def by_kind(docs: list[dict], kind: str) -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc for doc in docs if doc["kind"] == kind}
