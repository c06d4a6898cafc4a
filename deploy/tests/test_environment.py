"""Every environment variable docs/DEPLOY.md names, or the deploy files set, is read by the code."""

import ast
import re
from functools import cache

import pytest
from manifests import COMPOSE_FILE, DEPLOY, K8S, config_env, python_services

from stack.registry import ROOT, SERVICES

DEPLOY_DOC = ROOT / "docs" / "DEPLOY.md"
NAME = re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b")
SHELL_READ = re.compile(r"\$\{?([A-Z][A-Z0-9_]*)")
PYTHON_CODE = [ROOT / "common" / "src", ROOT / "services", ROOT / "stack"]
# Files outside Python that read the environment: the image's entrypoint, the PostgreSQL
# init script, and the gateway template (filled by envsubst in the nginx image).
OTHER_CODE = [
    DEPLOY / "docker-entrypoint.sh",
    DEPLOY / "postgres" / "init-databases.sh",
    ROOT / "gateway" / "commercex.conf.template",
]
# Read by a third-party image, not by our code: the compose service that must set it.
THIRD_PARTY = {"POSTGRES_PASSWORD": "postgres"}


def _fstring_pattern(node: ast.JoinedStr) -> str:
    parts = [
        re.escape(part.value) if isinstance(part, ast.Constant) else "[A-Z0-9_]+" for part in node.values
    ]
    return "".join(parts)


def _names_a_variable(node: ast.JoinedStr) -> bool:
    """An f-string such as f"{service.upper()}_DATABASE_URL": upper-case literal text, long enough."""
    literal = "".join(part.value for part in node.values if isinstance(part, ast.Constant))
    return bool(re.fullmatch(r"[A-Z0-9_]{5,}", literal)) and "_" in literal


@cache
def code_reads() -> tuple[frozenset[str], tuple[re.Pattern, ...]]:
    """(names, patterns) of the environment variables the code can read."""
    names, patterns = set(), []
    for folder in PYTHON_CODE:
        for path in folder.rglob("*.py"):
            if "tests" in path.relative_to(ROOT).parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, str)
                    and NAME.fullmatch(node.value)
                ):
                    names.add(node.value)
                elif isinstance(node, ast.JoinedStr) and _names_a_variable(node):
                    patterns.append(re.compile(_fstring_pattern(node)))
    for path in OTHER_CODE:
        names.update(SHELL_READ.findall(path.read_text()))
    return frozenset(names), tuple(patterns)


def is_read_by_code(name: str) -> bool:
    names, patterns = code_reads()
    return name in names or any(pattern.fullmatch(name) for pattern in patterns)


def documented_names() -> set[str]:
    text = DEPLOY_DOC.read_text()
    expanded = (
        {f"{service.name.upper()}_DATABASE_URL" for service in SERVICES}
        if "<SERVICE>_DATABASE_URL" in text
        else set()
    )
    return set(NAME.findall(text.replace("<SERVICE>_DATABASE_URL", ""))) | expanded


def test_deploy_doc_names_the_main_variables():
    names = documented_names()
    assert {
        "DJANGO_SECRET_KEY",
        "JWT_PRIVATE_KEY",
        "JWT_PUBLIC_KEY",
        "KAFKA_REPLICATION_FACTOR",
        "USERS_DATABASE_URL",
    } <= names


@pytest.mark.parametrize("name", sorted(documented_names()))
def test_every_variable_deploy_doc_names_is_read(name, compose):
    if name in THIRD_PARTY:
        assert name in compose["services"][THIRD_PARTY[name]]["environment"]
    else:
        assert is_read_by_code(name), f"docs/DEPLOY.md names {name}, which no code reads"


def test_a_misspelt_variable_is_caught():
    assert is_read_by_code("KAFKA_TOPIC_PARTITIONS")
    assert is_read_by_code("NOTIFICATIONS_DATABASE_URL")
    assert not is_read_by_code("KAFKA_TOPIC_PARTITION")


def test_every_variable_compose_and_kubernetes_set_is_read(compose):
    set_by_deploy = set(config_env())
    for spec in python_services(compose).values():
        set_by_deploy |= set(spec["environment"])
    set_by_deploy |= set(compose["services"]["gateway"]["environment"])
    unread = sorted(name for name in set_by_deploy if not is_read_by_code(name))
    assert not unread, f"set in {COMPOSE_FILE.name} or {K8S.name}/config.env but read by no code: {unread}"
