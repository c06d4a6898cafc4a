"""A one-view Django project (no middleware, no database): the ceiling of any Django endpoint here."""

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.http import JsonResponse
from django.urls import path

settings.configure(
    DEBUG=False,
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    SECRET_KEY="bench-trivial-app-has-no-secrets",  # noqa: S106 - serves one constant body
    INSTALLED_APPS=[],
    MIDDLEWARE=[],
)


def status(request):
    return JsonResponse({"status": "UP"})


urlpatterns = [path("trivial", status)]

application = get_wsgi_application()
