"""Validate event payloads against the JSON Schema of their type (schemas/<type>.json).

The catalogue's schemas live here; a setting `EVENT_SCHEMA_DIRS` may add directories
(common's own tests use it for their stand-in events, which are not part of the catalogue).
"""

import json
from functools import cache
from pathlib import Path

from jsonschema import Draft202012Validator

SCHEMA_DIR = Path(__file__).parent / "schemas"


class UnknownEventType(ValueError):
    pass


def event_types() -> list[str]:
    return sorted(path.stem for path in SCHEMA_DIR.glob("*.json"))


def schema_path(event_type: str) -> Path:
    from django.conf import settings

    for directory in [SCHEMA_DIR, *map(Path, getattr(settings, "EVENT_SCHEMA_DIRS", []))]:
        path = directory / f"{event_type}.json"
        if path.exists() and path.parent == directory:
            return path
    raise UnknownEventType(f"no schema for event type {event_type!r}")


@cache
def validator_for(event_type: str) -> Draft202012Validator:
    path = schema_path(event_type)
    schema = json.loads(path.read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def validate_payload(event_type: str, data: dict) -> None:
    """Raise jsonschema.ValidationError (or UnknownEventType) when `data` does not fit."""
    validator_for(event_type).validate(data)
