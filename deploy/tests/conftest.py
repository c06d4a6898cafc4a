"""Fixtures: the parsed compose file and the Kubernetes manifests as kustomize renders them."""

import pytest
import yaml
from manifests import COMPOSE_FILE, K8S, run, tool


@pytest.fixture(scope="session")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="session")
def rendered_k8s() -> list[dict]:
    """Render deploy/k8s exactly as `kubectl apply -k deploy/k8s` would, offline."""
    result = run([tool("kubectl"), "kustomize", str(K8S)])
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]
