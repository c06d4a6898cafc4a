"""Settings of the orders service: the shared base plus what is its own."""

from common.settings import service_settings
from common.settings.env import env_float, env_int, env_str

globals().update(service_settings(name="orders", apps=["orders"]))

EVENT_HANDLERS = "orders.handlers.HANDLERS"

# Where to fetch a product the local catalogue copy lacks (once; then it is kept).
PRODUCTS_SERVICE_URL = env_str("PRODUCTS_SERVICE_URL", "http://127.0.0.1:3002")
PRODUCTS_FETCH_TIMEOUT = env_float("PRODUCTS_FETCH_TIMEOUT", 1.0)
# A PENDING or PAID order unchanged for this long is a stalled saga (admin filter, retry_stalled).
SAGA_TIMEOUT_SECONDS = env_int("SAGA_TIMEOUT_SECONDS", 300)
