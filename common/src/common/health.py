"""Report whether the service and its database are up (used by the gateway and probes)."""

import contextlib

from django.conf import settings
from django.db import connection
from django.http import JsonResponse


def health(request):
    """Answer GET/HEAD with the service's status; 503 when its database is unreachable."""
    if request.method not in ("GET", "HEAD"):
        response = JsonResponse({"detail": f'Method "{request.method}" not allowed.'}, status=405)
        response["Allow"] = "GET, HEAD"
        return response
    service = f"{settings.SERVICE_NAME}-service"
    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # noqa: BLE001 - any failure to reach the database means DOWN
        with contextlib.suppress(Exception):
            connection.close()  # reconnect from scratch on the next request
        return JsonResponse({"status": "DOWN", "service": service, "db": "DOWN"}, status=503)
    return JsonResponse({"status": "UP", "service": service, "db": "CONNECTED"})
