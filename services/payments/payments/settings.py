"""Settings of the payments service: the shared base plus what is its own."""

from common.settings.base import *
from common.settings.env import env

INSTALLED_APPS = [*INSTALLED_APPS, "payments"]

EVENT_HANDLERS = "payments.handlers.HANDLERS"

# The PaymentProvider implementation (dotted path); the simulator understands Stripe test tokens.
PAYMENT_PROVIDER = env.str("PAYMENT_PROVIDER", default="payments.providers.SimulatorProvider")
PAYMENT_SIMULATOR_LATENCY_MS = env.int("PAYMENT_SIMULATOR_LATENCY_MS", default=0)
