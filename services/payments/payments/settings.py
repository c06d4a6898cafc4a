"""Settings of the payments service: the shared base plus what is its own."""

from common.settings import service_settings
from common.settings.env import env_int, env_str

globals().update(service_settings(name="payments", apps=["payments"]))

EVENT_HANDLERS = "payments.handlers.HANDLERS"

# The PaymentProvider implementation (dotted path); the simulator understands Stripe test tokens.
PAYMENT_PROVIDER = env_str("PAYMENT_PROVIDER", "payments.providers.SimulatorProvider")
PAYMENT_SIMULATOR_LATENCY_MS = env_int("PAYMENT_SIMULATOR_LATENCY_MS", 0)
