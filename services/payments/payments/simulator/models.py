"""State of the payment-provider simulator (a stand-in for the provider's own database)."""

from django.db import models


class SimulatedCall(models.Model):
    """One idempotency key the simulator has seen, and the result it answered with.

    Like Stripe, the same key always gets the first result back; the key used again for
    a different request is an error.
    """

    idempotency_key = models.CharField(max_length=255, unique=True)
    operation = models.CharField(max_length=16)  # charge | refund
    request = models.JSONField(default=dict)
    succeeded = models.BooleanField()
    reference = models.CharField(max_length=128, blank=True, default="")
    reason = models.CharField(max_length=255, blank=True, default="")
    # How many requests carried this key (1 = never repeated).
    requests = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.operation} {self.idempotency_key}"


class SimulatedOutage(models.Model):
    """The one row (pk 1) saying whether refunds fail right now: the next N calls, or until a time."""

    refund_failures_left = models.PositiveIntegerField(default=0)
    refunds_fail_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"refunds fail: {self.refund_failures_left} calls, until {self.refunds_fail_until}"
