"""Payment providers: the interface the service charges through, and a local simulator."""

import time
import uuid
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class ChargeResult:
    succeeded: bool
    reference: str = ""
    reason: str = ""


@dataclass(frozen=True)
class RefundResult:
    succeeded: bool
    reference: str = ""
    reason: str = ""


class PaymentProvider(Protocol):
    """What the payments service needs from a card processor.

    `idempotency_key` is stable per order (charge) or payment (refund), so a provider that
    honours it never charges or refunds twice even if a call is repeated after a crash.
    """

    def charge(self, *, amount: Decimal, token: str, idempotency_key: str) -> ChargeResult: ...

    def refund(self, *, reference: str, amount: Decimal, idempotency_key: str) -> RefundResult: ...


class SimulatorProvider:
    """Stripe-style test tokens: `tok_visa` succeeds, `tok_chargeDeclined` (or anything else) declines."""

    SUCCEEDING_TOKENS = frozenset({"tok_visa"})
    DECLINED_TOKENS = frozenset({"tok_chargeDeclined"})

    def __init__(self, *, latency_ms: int | None = None):
        self.latency_ms = settings.PAYMENT_SIMULATOR_LATENCY_MS if latency_ms is None else latency_ms

    def _wait(self) -> None:
        if self.latency_ms > 0:
            time.sleep(self.latency_ms / 1000)

    def charge(self, *, amount: Decimal, token: str, idempotency_key: str) -> ChargeResult:
        self._wait()
        if token in self.SUCCEEDING_TOKENS:
            return ChargeResult(succeeded=True, reference=f"sim_ch_{uuid.uuid4().hex}")
        if token in self.DECLINED_TOKENS:
            return ChargeResult(succeeded=False, reason="card_declined")
        return ChargeResult(succeeded=False, reason="invalid_payment_method")

    def refund(self, *, reference: str, amount: Decimal, idempotency_key: str) -> RefundResult:
        self._wait()
        return RefundResult(succeeded=True, reference=f"sim_re_{uuid.uuid4().hex}")


@cache
def _provider_class(path: str) -> type:
    return import_string(path)


def payment_provider() -> PaymentProvider:
    """Return the configured provider (setting PAYMENT_PROVIDER)."""
    return _provider_class(settings.PAYMENT_PROVIDER)()
