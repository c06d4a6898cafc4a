"""Parse JSON request bodies; a body nested too deeply is malformed input (400), never a 500.

Python's decoder gives up past ~1,000 levels with a RecursionError, which DRF's own
JSONParser lets through as a 500. This parser answers that, and any body nested deeper
than MAX_DEPTH levels (no API here takes more than a few), with a ParseError: the
exception handler turns it into 400 {"non_field_errors": [...]}, like any other malformed
JSON. Every service uses it through REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"].
"""

from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_DEPTH = 64
TOO_DEEP = f"JSON parse error - the document is nested deeper than {MAX_DEPTH} levels."


def nesting_depth_exceeds(value, limit: int = MAX_DEPTH) -> bool:
    """Whether a parsed JSON value nests lists/objects more than `limit` levels (iteratively)."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, with nesting depth (and the decoder's recursion limit) as a 400."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(TOO_DEEP) from None
        if nesting_depth_exceeds(data):
            raise ParseError(TOO_DEEP)
        return data
