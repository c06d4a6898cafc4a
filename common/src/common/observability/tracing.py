"""W3C Trace Context through HTTP and Kafka; OpenTelemetry spans over OTLP/HTTP when configured.

Two modes, chosen once per process by `configure(service)` (the `common.observability` app
calls it at start-up):

- **off** (no `OTEL_EXPORTER_OTLP_ENDPOINT`): no SDK, no instrumentation, nothing exported.
  The trace context is one contextvar holding `(trace_id, span_id, flags)`: a request's
  `traceparent` is continued (a request without one starts a trace), every event it
  publishes carries it, and a consumer continues it. A few microseconds per request/event.
- **on**: the OpenTelemetry SDK (BatchSpanProcessor → OTLP/HTTP exporter) with the Django,
  psycopg, redis and urllib instrumentations; the same functions open real spans.

The event core calls `outgoing_trace_headers()`, `consume_span()` and `publish_span()`
(see common.events.hooks); an effect that runs after commit continues the trace stored
with its intent row through `continue_trace()`.
"""

import contextlib
import contextvars
import logging
import os
import random
import re

logger = logging.getLogger(__name__)

TRACEPARENT = "traceparent"
TRACESTATE = "tracestate"
# version-traceid-parentid-flags; a future version may append fields after a dash.
_TRACEPARENT_RE = re.compile(r"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$")
_INVALID_TRACE = "0" * 32
_INVALID_SPAN = "0" * 16

# Off mode: the current (trace_id, span_id, flags).
_current: contextvars.ContextVar[tuple[str, str, str] | None] = contextvars.ContextVar(
    "commercex_trace", default=None
)


class _State:
    enabled = False
    configured = False
    tracer = None  # opentelemetry Tracer, on mode only
    otel_trace = None  # the opentelemetry.trace module, on mode only
    propagate = None  # the opentelemetry.propagate module, on mode only
    provider = None


_state = _State()


# ---- W3C helpers (both modes) -----------------------------------------------------------


def parse_traceparent(value: str | None) -> tuple[str, str, str] | None:
    """Return (trace_id, parent span id, flags) of a valid `traceparent`, else None."""
    if not value:
        return None
    match = _TRACEPARENT_RE.match(value.strip().lower())
    if match is None:
        return None
    version, trace_id, span_id, flags, rest = match.groups()
    if version == "ff" or (version == "00" and rest):
        return None
    if trace_id == _INVALID_TRACE or span_id == _INVALID_SPAN:
        return None
    return trace_id, span_id, flags


def format_traceparent(trace_id: str, span_id: str, flags: str = "01") -> str:
    return f"00-{trace_id}-{span_id}-{flags}"


def new_trace_id() -> str:
    return f"{random.getrandbits(128) or 1:032x}"  # nosec B311 - an id, not a secret (as in the SDK)


def new_span_id() -> str:
    return f"{random.getrandbits(64) or 1:016x}"  # nosec B311


def enabled() -> bool:
    """True when spans are recorded and exported (OTEL_EXPORTER_OTLP_ENDPOINT was set)."""
    return _state.enabled


# ---- set-up -----------------------------------------------------------------------------


def configure(service: str) -> bool:
    """Set up tracing for `service` once per process; return True when spans are exported."""
    if _state.configured:
        return _state.enabled
    _state.configured = True
    if not os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").strip() or os.environ.get(
        "OTEL_SDK_DISABLED", ""
    ).strip().lower() in ("1", "true"):
        return False
    from opentelemetry import propagate, trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME") or service})
    provider = TracerProvider(resource=resource)
    # The exporter reads OTEL_EXPORTER_OTLP_ENDPOINT (+ /v1/traces), _HEADERS, _TIMEOUT itself.
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    _state.provider = provider
    _state.otel_trace = trace
    _state.propagate = propagate
    _state.tracer = trace.get_tracer("commercex.events")
    _state.enabled = True
    _instrument()
    logger.info("tracing on: exporting spans over OTLP/HTTP", extra={"service_name": service})
    return True


def _instrument() -> None:
    """Django (server spans from `traceparent`), psycopg, redis and urllib (client spans)."""
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor
    from opentelemetry.instrumentation.urllib import URLLibInstrumentor

    # Health checks and scrapes would be most of the spans, and tell nothing. (Given here:
    # the middleware module reads the variable once, when first imported.)
    excluded = os.environ.get("OTEL_PYTHON_DJANGO_EXCLUDED_URLS") or r"/metrics$,/health/?$"
    django = DjangoInstrumentor()
    if not django.is_instrumented_by_opentelemetry:
        django.instrument(excluded_urls=excluded)
    for instrumentor in (PsycopgInstrumentor(), RedisInstrumentor(), URLLibInstrumentor()):
        if not instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.instrument()


def shutdown() -> None:
    """Flush the spans still queued (a process that exits calls this through atexit too)."""
    if _state.provider is not None:
        _state.provider.shutdown()


# ---- the current trace ------------------------------------------------------------------


def current_ids() -> tuple[str, str] | None:
    """Return (trace_id, span_id) of the work in progress, for log lines; None outside a trace."""
    if _state.enabled:
        context = _state.otel_trace.get_current_span().get_span_context()
        if not context.is_valid:
            return None
        return f"{context.trace_id:032x}", f"{context.span_id:016x}"
    current = _current.get()
    return None if current is None else (current[0], current[1])


def outgoing_trace_headers() -> dict[str, str]:
    """Return the headers (`traceparent`, maybe `tracestate`) an event published now carries.

    Outside any trace (a management command, a timer) a new trace is started for it.
    """
    if _state.enabled:
        carrier: dict[str, str] = {}
        _state.propagate.inject(carrier)
        if TRACEPARENT not in carrier:
            carrier[TRACEPARENT] = format_traceparent(new_trace_id(), new_span_id())
        return carrier
    current = _current.get()
    if current is None:
        return {TRACEPARENT: format_traceparent(new_trace_id(), new_span_id())}
    return {TRACEPARENT: format_traceparent(*current)}


@contextlib.contextmanager
def _continued(headers):
    """Off mode: make the trace of `headers` (or a new one) current, with a span id of our own."""
    parent = parse_traceparent(headers.get(TRACEPARENT)) if headers else None
    trace_id, flags = (parent[0], parent[2]) if parent else (new_trace_id(), "01")
    token = _current.set((trace_id, new_span_id(), flags))
    try:
        yield None
    finally:
        _current.reset(token)


def _span(name: str, *, kind: str, headers=None, attributes=None):
    trace = _state.otel_trace
    context = _state.propagate.extract(headers) if headers is not None else None
    return _state.tracer.start_as_current_span(
        name, context=context, kind=getattr(trace.SpanKind, kind), attributes=attributes
    )


def consume_span(event_type: str, headers: dict | None):
    """Context manager around handling one event: continues the trace of its `traceparent`."""
    if not _state.enabled:
        return _continued(headers or {})
    return _span(
        f"{event_type} process",
        kind="CONSUMER",
        headers=headers or {},
        attributes={
            "messaging.system": "kafka",
            "messaging.operation.type": "process",
            "messaging.destination.name": event_type,
        },
    )


_NOTHING = contextlib.nullcontext()


def publish_span(event_type: str):
    """Context manager around recording one event in the outbox (a PRODUCER span when on)."""
    if not _state.enabled:
        return _NOTHING
    return _span(
        f"{event_type} publish",
        kind="PRODUCER",
        attributes={
            "messaging.system": "kafka",
            "messaging.operation.type": "publish",
            "messaging.destination.name": event_type,
        },
    )


def continue_trace(name: str, headers: dict | None):
    """Context manager for work done later on behalf of a trace (an effect carrying out an
    intent row): continues the trace of the stored `headers` (from `outgoing_trace_headers()`)."""
    if not _state.enabled:
        return _continued(headers or {})
    return _span(name, kind="INTERNAL", headers=headers or {})


@contextlib.contextmanager
def request_context(traceparent: str | None):
    """Off mode, one HTTP request: continue the caller's `traceparent` or start a trace."""
    with _continued({TRACEPARENT: traceparent} if traceparent else {}):
        yield
