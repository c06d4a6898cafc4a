"""Validate event payloads against the JSON Schema of their type (schemas/<type>.json).

Each schema is compiled once per process with fastjsonschema (a generated Python function,
~20 times faster than interpreting it). The catalogue's schemas live here; a setting
`EVENT_SCHEMA_DIRS` may add directories (common's own tests use it for their stand-in
events, which are not part of the catalogue).
"""

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path

import fastjsonschema
from fastjsonschema import JsonSchemaValueException

SCHEMA_DIR = Path(__file__).parent / "schemas"

__all__ = ["SchemaError", "UnknownEventType", "event_types", "validate_payload", "validator_for"]


class UnknownEventType(ValueError):
    pass


class SchemaError(ValueError):
    """A payload that does not fit the schema of its event type."""


def event_types() -> list[str]:
    return sorted(path.stem for path in SCHEMA_DIR.glob("*.json"))


def schema_path(event_type: str) -> Path:
    from django.conf import settings

    for directory in [SCHEMA_DIR, *map(Path, getattr(settings, "EVENT_SCHEMA_DIRS", []))]:
        path = directory / f"{event_type}.json"
        if path.exists() and path.parent == directory:
            return path
    raise UnknownEventType(f"no schema for event type {event_type!r}")


def schema_of(event_type: str) -> dict:
    return json.loads(schema_path(event_type).read_text())


@cache
def validator_for(event_type: str) -> Callable[[dict], dict]:
    """Return the compiled validator of `event_type` (UnknownEventType when it has no schema)."""
    return fastjsonschema.compile(schema_of(event_type))


def validate_payload(event_type: str, data: dict) -> None:
    """Raise SchemaError (or UnknownEventType) when `data` does not fit its type's schema."""
    try:
        validator_for(event_type)(data)
    except JsonSchemaValueException as exc:
        raise SchemaError(f"{event_type}: {exc.message}") from exc
