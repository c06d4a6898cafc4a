"""Settings of the products service: the shared base plus what is its own."""

from common.settings.base import *
from common.settings.env import env

INSTALLED_APPS = [*INSTALLED_APPS, "products"]

EVENT_HANDLERS = "products.handlers.HANDLERS"

# Read-aside cache of product reads (seconds). Writes invalidate entries at once; the
# time to live only bounds how long an entry missed by an invalidation (Redis down) lives.
PRODUCTS_CACHE_TTL = env.int("PRODUCTS_CACHE_TTL", default=300)
# How long a miss's loader holds the per-key lock, and how long other readers wait for it.
PRODUCTS_CACHE_LOCK_SECONDS = env.float("PRODUCTS_CACHE_LOCK_SECONDS", default=5.0)
PRODUCTS_CACHE_WAIT_SECONDS = env.float("PRODUCTS_CACHE_WAIT_SECONDS", default=2.0)
# After a Redis failure, skip the cache for this long instead of paying a timeout per request.
PRODUCTS_CACHE_RETRY_SECONDS = env.float("PRODUCTS_CACHE_RETRY_SECONDS", default=1.0)

# Cache hits answered in front of Django (products/fastpath.py, wsgi.py); off: by the
# innermost middleware below, inside Django (measured in docs/PERFORMANCE.md).
PRODUCTS_FAST_HITS = env.bool("PRODUCTS_FAST_HITS", default=True)

# Innermost: cache hits of catalogue reads answered from their stored bytes, ahead of DRF.
MIDDLEWARE = [*MIDDLEWARE, "products.middleware.CachedReadMiddleware"]
