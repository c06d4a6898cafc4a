"""WSGI entry point of the products service (gunicorn products.wsgi).

Catalogue cache hits are answered by products.fastpath in front of Django's application.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "products.settings")
django_application = get_wsgi_application()

from products.fastpath import CachedReadApplication  # noqa: E402 - needs Django set up first

application = CachedReadApplication(django_application)
