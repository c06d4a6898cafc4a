"""Catalogue cache hits answered in front of Django: a WSGI layer around the service's application.

Why: a hit is stored bytes (products/middleware.py), yet inside Django it still paid the
handler (signals, URL resolving, response finishing) and eighteen middlewares, more than a
trivial Django view costs. This layer answers a plain-JSON `GET`/`HEAD` of the product list
or of one product before all that, running for it only what those middlewares do to such a
request, with their own code where it is cheap to call:

- django-prometheus's before/after hooks (every counter and histogram, view label included)
  and the contract's cache metric; the trace context (tracing off) and the request id
  around the JSON access-log line;
- host validation and the HTTPS redirect (CommonMiddleware, SecurityMiddleware): a request
  they would answer goes on to Django; Content-Length, X-Frame-Options, the security
  headers and the strict Content-Security-Policy on the answer;
- RATE_LIMIT, counted with django-ratelimit's own call (same key, same counter) once the
  entry is found; a request over the limit goes on to Django, whose 429 counts it once
  more, which changes nothing in a window already over the limit.

Everything else goes on to Django unchanged: a miss, a write, other media types, Redis
skipped, tracing on (the OpenTelemetry middleware records the span there), a MIDDLEWARE
list with an entry this module does not know, or PRODUCTS_FAST_HITS off.
"""

import logging
import time

from django.conf import settings
from django.core.exceptions import DisallowedHost, PermissionDenied
from django.core.handlers.wsgi import WSGIRequest
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.common import CommonMiddleware
from django.middleware.security import SecurityMiddleware
from django_prometheus.middleware import PrometheusAfterMiddleware, PrometheusBeforeMiddleware
from django_prometheus.utils import Time

from common.context import clean_request_id, reset_request_id, set_request_id
from common.csp import CSP_HEADER, policy_for
from common.middleware import REQUEST_ID_HEADER, log_access, rate_limit_usage
from common.observability import metrics, tracing
from products.middleware import CachedReadMiddleware, accepts_plain_json, fast_path

logger = logging.getLogger(__name__)

# What each middleware of the list does to a plain-JSON catalogue read that hits: this
# layer does the same (see above), or the middleware does nothing to such a request.
KNOWN_MIDDLEWARE = frozenset(
    {
        "django_prometheus.middleware.PrometheusBeforeMiddleware",
        "common.observability.middleware.TraceContextMiddleware",
        "common.middleware.RequestIdMiddleware",
        "common.observability.middleware.MetricsMiddleware",  # /metrics only
        "common.csp.ContentSecurityPolicyMiddleware",
        "common.middleware.AccessLogMiddleware",
        "django.middleware.security.SecurityMiddleware",
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
        "whitenoise.middleware.WhiteNoiseMiddleware",  # static files only
        "common.middleware.DatabaseUnavailableMiddleware",  # exceptions only
        "common.middleware.RateLimitMiddleware",
        "common.middleware.BrowserSessionMiddleware",  # not on /api/
        "django.middleware.common.CommonMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",  # safe method, no cookie to set
        "common.middleware.BrowserAuthenticationMiddleware",  # not on /api/
        "common.middleware.BrowserMessageMiddleware",  # not on /api/
        "common.observability.middleware.CacheMetricsMiddleware",
        "django_prometheus.middleware.PrometheusAfterMiddleware",
        "products.middleware.CachedReadMiddleware",
    }
)
METHODS = frozenset({"GET", "HEAD"})


def _unused(request):  # pragma: no cover - the hooks below are called one by one
    raise AssertionError("not a chain")


def usable() -> bool:
    """Whether hits may be answered here: switched on, tracing off, every middleware known."""
    unknown = [name for name in settings.MIDDLEWARE if name not in KNOWN_MIDDLEWARE]
    if unknown:
        logger.warning("cache hits go through Django: unknown middleware", extra={"middleware": unknown})
    return settings.PRODUCTS_FAST_HITS and not tracing.enabled() and not unknown


class _PrometheusAfter(PrometheusAfterMiddleware):
    """django-prometheus's hooks, each labelled series looked up once (hits have few label sets)."""

    def __init__(self, get_response):
        super().__init__(get_response)
        self._series: dict[tuple, object] = {}

    def label_metric(self, metric, request, response=None, **labels):
        if not labels:
            return metric
        key = (metric, *labels.values())
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = metric.labels(**labels)
        return series


class CachedReadApplication:
    """WSGI application: a catalogue cache hit answered here, anything else by `application`."""

    def __init__(self, application):
        self.application = application
        self.before = PrometheusBeforeMiddleware(_unused)
        self.after = _PrometheusAfter(_unused)
        self.security = SecurityMiddleware(_unused)
        self.common = CommonMiddleware(_unused)
        self.xframe = XFrameOptionsMiddleware(_unused)
        self.enabled = usable()

    def __call__(self, environ, start_response):
        if (
            self.enabled
            and settings.PRODUCTS_FAST_HITS
            and environ.get("REQUEST_METHOD") in METHODS
            and accepts_plain_json(environ.get("HTTP_ACCEPT", ""))
        ):
            started, clock = Time(), time.perf_counter()
            request = WSGIRequest(environ)
            with tracing.request_context(environ.get("HTTP_TRACEPARENT")):
                response = self.answer(request, started, clock)
            if response is not None:
                status = f"{response.status_code} {response.reason_phrase}"
                start_response(status, list(response.items()))
                return [response.content]
        return self.application(environ, start_response)

    def answer(self, request, started: float, clock: float):
        """The finished response to a hit, or None: Django answers (nothing was counted)."""
        try:
            if self.security.process_request(request) is not None or self.common.process_request(request):
                return None
        except (DisallowedHost, PermissionDenied):
            return None  # Django answers 400/403 (and logs it as it does)
        try:
            response = CachedReadMiddleware.hit(request)
            if response is None:
                return None
            usage = rate_limit_usage(request)
        except Exception:  # Django answers it, with its own error handling
            logger.exception("cache hit fast path failed: answered by Django")
            return None
        if usage and usage["should_limit"]:
            return None
        request_id = clean_request_id(request.META.get("HTTP_X_REQUEST_ID"))
        request.request_id = request_id
        token = set_request_id(request_id)
        try:
            self.count_request(request, started)
            return self.finish(request, response, request_id, clock)
        finally:
            reset_request_id(token)

    def count_request(self, request, started: float) -> None:
        """django-prometheus's request side, its clocks set to the request's start."""
        self.before.process_request(request)
        self.after.process_request(request)
        request.prometheus_before_middleware_event = request.prometheus_after_middleware_event = started
        match = request.resolver_match
        self.after.process_view(request, fast_path, match.args, **match.kwargs)

    def finish(self, request, response, request_id: str, clock: float):
        """The response side of the middleware list, innermost first."""
        response = self.after.process_response(request, response)
        metrics.cache_lookup(True)
        response = self.common.process_response(request, response)
        response = self.xframe.process_response(request, response)
        response = self.security.process_response(request, response)
        log_access(request, response, clock)
        if CSP_HEADER not in response:
            response[CSP_HEADER] = policy_for(response.get("Content-Type", ""))
        response[REQUEST_ID_HEADER] = request_id
        return self.before.process_response(request, response)
