"""docs/EVENTS.md documents every event type that has a schema (the catalogue stays true)."""

import json
import re
from pathlib import Path

import pytest

from common.events.schemas import SCHEMA_DIR, event_types

EVENTS_DOC = Path(__file__).resolve().parents[2] / "docs" / "EVENTS.md"


def section(event_type: str) -> str:
    """Return the text under the heading "### `<event_type>`", up to the next heading."""
    text = EVENTS_DOC.read_text()
    match = re.search(rf"^### `{re.escape(event_type)}`\s*$(.*?)(?=^#{{1,3}} |\Z)", text, re.M | re.S)
    return match.group(1) if match else ""


def test_the_catalogue_has_schemas_to_check():
    assert "user-registered" in event_types()


@pytest.mark.parametrize("event_type", event_types())
def test_every_event_type_has_a_section_naming_its_schema_with_an_example(event_type):
    text = section(event_type)
    assert text, f'docs/EVENTS.md has no section "### `{event_type}`"'
    assert f"schemas/{event_type}.json" in text, f"the {event_type} section does not name its schema file"
    examples = re.findall(r"```json\s*\n(.*?)```", text, re.S)
    assert examples, f"the {event_type} section has no ```json example"
    example = json.loads(examples[0])
    required = json.loads((SCHEMA_DIR / f"{event_type}.json").read_text()).get("required", [])
    missing = [name for name in required if name not in example]
    assert not missing, f"the {event_type} example lacks required fields {missing}"
