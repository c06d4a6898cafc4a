from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from common.urls import handler400, handler403, handler404, handler500, service_urls  # noqa: F401


@extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
@api_view(["GET", "POST"])
@permission_classes([AllowAny])
def echo(request):
    """Return the parsed body, so tests can exercise parsing, errors and middleware."""
    return Response({"received": request.data if request.method == "POST" else None})


urlpatterns = [*service_urls("testsvc"), path("api/testsvc/echo/", echo)]
