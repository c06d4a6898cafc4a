"""Validate event payloads against the JSON Schema of their type (schemas/<type>.json)."""

import json
from functools import cache
from pathlib import Path

from jsonschema import Draft202012Validator

SCHEMA_DIR = Path(__file__).parent / "schemas"


class UnknownEventType(ValueError):
    pass


def event_types() -> list[str]:
    return sorted(path.stem for path in SCHEMA_DIR.glob("*.json"))


@cache
def validator_for(event_type: str) -> Draft202012Validator:
    path = SCHEMA_DIR / f"{event_type}.json"
    if not path.exists():
        raise UnknownEventType(f"no schema for event type {event_type!r}")
    schema = json.loads(path.read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def validate_payload(event_type: str, data: dict) -> None:
    """Raise jsonschema.ValidationError (or UnknownEventType) when `data` does not fit."""
    validator_for(event_type).validate(data)
