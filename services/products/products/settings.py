"""Settings of the products service: the shared base plus what is its own."""

from common.settings import service_settings
from common.settings.env import env_float, env_int

globals().update(service_settings(name="products", apps=["products"]))

EVENT_HANDLERS = "products.handlers.HANDLERS"

# Read-aside cache of product reads (seconds). Writes invalidate entries at once; the
# time to live only bounds how long an entry missed by an invalidation (Redis down) lives.
PRODUCTS_CACHE_TTL = env_int("PRODUCTS_CACHE_TTL", 300)
# How long a miss's loader holds the per-key lock, and how long other readers wait for it.
PRODUCTS_CACHE_LOCK_SECONDS = env_float("PRODUCTS_CACHE_LOCK_SECONDS", 5.0)
PRODUCTS_CACHE_WAIT_SECONDS = env_float("PRODUCTS_CACHE_WAIT_SECONDS", 2.0)
# After a Redis failure, skip the cache for this long instead of paying a timeout per request.
PRODUCTS_CACHE_RETRY_SECONDS = env_float("PRODUCTS_CACHE_RETRY_SECONDS", 1.0)
