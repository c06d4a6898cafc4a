"""URLs of the stand-in service plus views that exercise common's HTTP behaviour in tests.

Tests select it with `@pytest.mark.urls("http_urls")`.
"""

from django.db import connection
from django.http import JsonResponse
from django.urls import path
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from common.auth import IsAdminOrReadOnly
from common.urls import handler400, handler403, handler404, handler500  # noqa: F401
from testsvc.urls import urlpatterns as testsvc_urlpatterns


class Boom(Exception):
    """An unexpected failure inside a view."""


@api_view(["GET"])
@permission_classes([AllowAny])
def drf_crash(request):
    raise Boom("unexpected")


def django_crash(request):
    raise Boom("unexpected")


@api_view(["GET"])
@permission_classes([AllowAny])
def drf_query(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return Response({"ok": True})


def django_query(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})


@api_view(["GET"])
@permission_classes([IsAuthenticated])
def whoami(request):
    user = request.user
    return Response(
        {"id": user.id, "email": user.email, "name": user.name, "role": user.role, "admin": user.is_admin}
    )


@api_view(["GET", "POST"])
@permission_classes([IsAdminOrReadOnly])
def catalogue(request):
    return Response({"method": request.method})


urlpatterns = [
    *testsvc_urlpatterns,
    path("api/testsvc/drf-crash/", drf_crash),
    path("api/testsvc/django-crash/", django_crash),
    path("api/testsvc/drf-query/", drf_query),
    path("api/testsvc/django-query/", django_query),
    path("api/testsvc/whoami/", whoami),
    path("api/testsvc/catalogue/", catalogue),
]
