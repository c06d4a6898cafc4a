"""Report whether the service and its database are up (used by the gateway and probes)."""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse


def health(request):
    service = f"{settings.SERVICE_NAME}-service"
    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # noqa: BLE001 - any failure to reach the database means DOWN
        connection.close_if_unusable_or_obsolete()
        return JsonResponse({"status": "DOWN", "service": service, "db": "DOWN"}, status=503)
    return JsonResponse({"status": "UP", "service": service, "db": "CONNECTED"})
