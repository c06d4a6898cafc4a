"""The request side of tracing and of the cache metric."""

from django.core.exceptions import MiddlewareNotUsed

from common.observability import metrics, tracing
from common.observability.views import metrics as metrics_view

METRICS_PATH = "/metrics"


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


class MetricsMiddleware:
    """Answer `GET /metrics` on the service's own port, ahead of the rest of the chain.

    Prometheus scrapes a pod or container by its address, which ALLOWED_HOSTS does not
    list, and must never be rate limited: so the scrape is answered here, before host
    validation (CommonMiddleware), rate limits, sessions and auth. The gateway routes no
    such path (404 there); the network (loopback, NetworkPolicy) decides who reaches it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == METRICS_PATH:
            return metrics_view(request)
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
