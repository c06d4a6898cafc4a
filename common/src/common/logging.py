"""Emit one JSON object per log line, carrying the service name, request id and trace ids."""

import logging

from pythonjsonlogger.json import JsonFormatter

from common.context import get_request_id
from common.observability.tracing import current_ids


class ContextFilter(logging.Filter):
    """Stamp every record with the service name, the current request id and, inside a
    trace, its `trace_id` and `span_id` (W3C hex), so logs and traces meet."""

    def __init__(self, service: str = "") -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        if not getattr(record, "request_id", None):
            record.request_id = get_request_id()
        ids = current_ids()
        if ids is not None:
            record.trace_id, record.span_id = ids
        return True


def logging_config(*, service: str, level: str) -> dict:
    """Build the LOGGING setting: JSON lines on stderr for every logger."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": ContextFilter, "service": f"{service}-service"}},
        "formatters": {
            "json": {
                "()": JsonFormatter,
                "fmt": "%(levelname)s %(name)s %(message)s",
                "rename_fields": {"levelname": "level", "name": "logger"},
                # ISO 8601 in UTC, e.g. 2026-01-31T12:00:00.123000+00:00
                "timestamp": "time",
            }
        },
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["context"]}
        },
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            # The access log middleware writes one line per request; Django's own is redundant.
            "django.server": {"level": "WARNING"},
            "django.request": {"level": "ERROR"},
        },
    }
