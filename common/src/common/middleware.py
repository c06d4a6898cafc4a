"""Cross-cutting HTTP behaviour every service shares: request ids, access log, 429, 503, and
sessions, auth and messages for browser pages only."""

import ipaddress
import logging
import time

from django.conf import settings
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import JsonResponse
from django_ratelimit.core import get_usage

from common.context import clean_request_id, reset_request_id, set_request_id
from common.settings.env import RATE_OFF

access_log = logging.getLogger("common.access")
logger = logging.getLogger(__name__)

REQUEST_ID_HEADER = "X-Request-ID"
API_PREFIX = "/api/"


def client_ip(request) -> str:
    """Return the caller's address: nginx's X-Real-IP, else the socket peer.

    Services listen on loopback (or a private network) behind the gateway, so the header
    set by the gateway is the one to trust. A value that is not an IP address is ignored.
    """
    for candidate in (request.META.get("HTTP_X_REAL_IP", ""), request.META.get("REMOTE_ADDR", "")):
        try:
            return str(ipaddress.ip_address(candidate.strip()))
        except ValueError:
            continue
    return "0.0.0.0"  # noqa: S104 - no usable address (e.g. a Unix socket peer): one shared bucket


class RequestIdMiddleware:
    """Take X-Request-ID from the caller or make one; echo it on the response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = clean_request_id(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id
        token = set_request_id(request_id)
        try:
            response = self.get_response(request)
        finally:
            reset_request_id(token)
        response[REQUEST_ID_HEADER] = request_id
        return response


class AccessLogMiddleware:
    """Write one JSON access-log line per request: method, path, status, duration."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        log_access(request, response, started)
        return response


def log_access(request, response, started: float) -> None:
    """Write the access-log line of `response` (`started`: perf_counter at the request's start)."""
    access_log.info(
        "request",
        extra={
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            "client_ip": client_ip(request),
        },
    )


class DatabaseUnavailableMiddleware:
    """Answer 503 JSON when the service's database cannot be reached."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, (OperationalError, InterfaceError)) or (
            isinstance(exception, DatabaseError) and "connection" in str(exception).lower()
        ):
            logger.error("database unavailable", extra={"error": str(exception)})
            return JsonResponse({"detail": "Service temporarily unavailable."}, status=503)
        return None


def too_many_requests(retry_after: int) -> JsonResponse:
    response = JsonResponse({"detail": "Too many requests. Try again later."}, status=429)
    response["Retry-After"] = str(max(1, retry_after))
    return response


class RateLimitMiddleware:
    """Limit requests per client IP and service (RATE_LIMIT, e.g. `100/15m`; `off` disables).

    Health checks (and Prometheus scrapes of /metrics) are exempt so that a flood never
    makes the orchestrator restart a healthy service, nor blinds its monitoring.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        usage = rate_limit_usage(request)
        if usage and usage["should_limit"]:
            return too_many_requests(usage["time_left"])
        return self.get_response(request)


def rate_limit_usage(request) -> dict | None:
    """Count `request` against RATE_LIMIT; django-ratelimit's usage, or None (off, or exempt)."""
    rate = settings.RATE_LIMIT
    path = request.path.rstrip("/")
    if rate == RATE_OFF or path.endswith("/health") or path == "/metrics":
        return None
    return get_usage(request, group=f"{settings.SERVICE_NAME}-service", key="ip", rate=rate, increment=True)


# ---- sessions, auth and messages: for the admin's pages, not for /api/ ----------------------


def is_api_path(request) -> bool:
    return request.path_info.startswith(API_PREFIX)


class _BrowserOnly:
    """Run the Django middleware this is mixed into except on /api/ paths.

    The API authenticates every request by its Bearer token (DRF, common.auth): no session
    cookie is read or set there, so there is no session to load, no user to look up from it
    and no messages. The admin (`/admin/<service>/`) keeps all three. Subclasses, so the
    admin's system checks still find them.
    """

    def __call__(self, request):
        if is_api_path(request):
            return self.get_response(request)
        return super().__call__(request)


class BrowserSessionMiddleware(_BrowserOnly, SessionMiddleware):
    pass


class BrowserAuthenticationMiddleware(_BrowserOnly, AuthenticationMiddleware):
    pass


class BrowserMessageMiddleware(_BrowserOnly, MessageMiddleware):
    pass
