"""Answer every error as JSON in the contract's shapes, never as an HTML page."""

import logging

from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)


def too_large() -> JsonResponse:
    return JsonResponse({"detail": "Request body too large (over 1 MiB)."}, status=413)


def exception_handler(exc, context):
    """Extend DRF's handler: malformed bodies are field-shaped 400s; a lost database is 503."""
    if isinstance(exc, RequestDataTooBig):
        return Response({"detail": "Request body too large (over 1 MiB)."}, status=413)
    if isinstance(exc, exceptions.ParseError):
        return Response({"non_field_errors": [str(exc.detail)]}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, (OperationalError, InterfaceError)):
        logger.error("database unavailable", extra={"error": str(exc)})
        return Response(
            {"detail": "Service temporarily unavailable."}, status=status.HTTP_503_SERVICE_UNAVAILABLE
        )
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.Throttled) and exc.wait:
        response["Retry-After"] = str(int(exc.wait))
    return response


def bad_request(request, exception=None):
    if isinstance(exception, RequestDataTooBig):
        return too_large()
    return JsonResponse({"non_field_errors": ["Bad request."]}, status=400)


def permission_denied(request, exception=None):
    return JsonResponse({"detail": "You do not have permission to perform this action."}, status=403)


def not_found(request, exception=None):
    return JsonResponse({"detail": "Not found."}, status=404)


def server_error(request):
    return JsonResponse({"detail": "Internal server error."}, status=500)
