"""Settings of the payments service: the shared base plus what is its own."""

from common.settings.base import *
from common.settings.env import env

INSTALLED_APPS = [*INSTALLED_APPS, "payments", "payments.simulator"]

EVENT_HANDLERS = "payments.handlers.HANDLERS"
# Charges and refunds are outside effects: made after the commit by the event worker.
EVENT_EFFECTS = "payments.effects.EFFECTS"

# The PaymentProvider implementation (dotted path); the simulator understands Stripe test tokens.
PAYMENT_PROVIDER = env.str("PAYMENT_PROVIDER", default="payments.providers.SimulatorProvider")
PAYMENT_SIMULATOR_LATENCY_MS = env.int("PAYMENT_SIMULATOR_LATENCY_MS", default=0)

# A charge or refund the provider fails is retried with backoff (base·2^(n-1) seconds,
# capped) and parked once it has been failing for longer than PAYMENT_MAX_RETRY_SECONDS.
PAYMENT_MAX_RETRY_SECONDS = env.int("PAYMENT_MAX_RETRY_SECONDS", default=3600)
PAYMENT_RETRY_BASE_SECONDS = env.float("PAYMENT_RETRY_BASE_SECONDS", default=1.0)
PAYMENT_RETRY_CAP_SECONDS = env.float("PAYMENT_RETRY_CAP_SECONDS", default=300.0)
# One run claims at most this many payments; no other worker takes them for this long.
PAYMENT_EFFECT_BATCH = env.int("PAYMENT_EFFECT_BATCH", default=100)
PAYMENT_CLAIM_SECONDS = env.int("PAYMENT_CLAIM_SECONDS", default=120)
