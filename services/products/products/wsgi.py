"""WSGI entry point of the products service (gunicorn products.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "products.settings")
application = get_wsgi_application()
