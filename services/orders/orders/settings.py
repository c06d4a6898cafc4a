"""Settings of the orders service: the shared base plus what is its own."""

from common.settings.base import *
from common.settings.env import env

INSTALLED_APPS = [*INSTALLED_APPS, "orders"]

EVENT_HANDLERS = "orders.handlers.HANDLERS"

# Where to fetch a product the local catalogue copy lacks (once; then it is kept).
PRODUCTS_SERVICE_URL = env.str("PRODUCTS_SERVICE_URL", default="http://127.0.0.1:3002")
PRODUCTS_FETCH_TIMEOUT = env.float("PRODUCTS_FETCH_TIMEOUT", default=1.0)
# A PENDING or PAID order unchanged for this long is a stalled saga (admin filter, retry_stalled).
SAGA_TIMEOUT_SECONDS = env.int("SAGA_TIMEOUT_SECONDS", default=300)
