"""The request side of tracing and of the cache metric."""

from django.core.exceptions import MiddlewareNotUsed

from common.observability import metrics, tracing


class TraceContextMiddleware:
    """Continue the caller's `traceparent` (or start a trace) while tracing is off.

    With tracing on, OpenTelemetry's Django middleware does this (and records the span),
    so this one removes itself.
    """

    def __init__(self, get_response):
        if tracing.enabled():
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request):
        with tracing.request_context(request.META.get("HTTP_TRACEPARENT")):
            return self.get_response(request)


class CacheMetricsMiddleware:
    """Count the responses that say `X-Cache: HIT` or `MISS` (the products service's reads)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        result = response.get("X-Cache")
        if result:
            metrics.cache_lookup(result.upper() == "HIT")
        return response
