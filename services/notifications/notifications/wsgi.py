"""WSGI entry point of the notifications service (gunicorn notifications.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "notifications.settings")
application = get_wsgi_application()
