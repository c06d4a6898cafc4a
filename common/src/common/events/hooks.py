"""The event core's seam to metrics and tracing (common.observability): one place, cheap when off."""

import contextlib
from importlib import import_module
from importlib.util import find_spec

_HAS_OBSERVABILITY = find_spec("common.observability") is not None


def _module(name: str):
    return import_module(f"common.observability.{name}") if _HAS_OBSERVABILITY else None


def outgoing_trace_headers() -> dict[str, str]:
    tracing = _module("tracing")
    return tracing.outgoing_trace_headers() if tracing else {}


def consume_span(event_type: str, headers: dict):
    tracing = _module("tracing")
    return tracing.consume_span(event_type, headers) if tracing else contextlib.nullcontext()


def publish_span(event_type: str):
    tracing = _module("tracing")
    return tracing.publish_span(event_type) if tracing else contextlib.nullcontext()


def count(name: str, *args) -> None:
    """Call `common.observability.metrics.<name>(*args)` when metrics are there."""
    metrics = _module("metrics")
    if metrics is not None:
        getattr(metrics, name)(*args)
