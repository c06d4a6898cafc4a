"""The event core's seam to metrics and tracing (common.observability): one place, cheap when off."""

from common.observability import metrics, tracing

outgoing_trace_headers = tracing.outgoing_trace_headers
consume_span = tracing.consume_span
publish_span = tracing.publish_span


def count(name: str, *args) -> None:
    """Record the event-side metric `common.observability.metrics.<name>(*args)`."""
    getattr(metrics, name)(*args)
