"""Payment providers: the interface the service charges through, and a local simulator."""

import time
import uuid
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Protocol

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.module_loading import import_string

from payments.simulator.control import refund_outage_now
from payments.simulator.models import SimulatedCall


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


class ProviderUnavailable(Exception):
    """The provider could not be reached or failed to answer: try again later, with the same key."""


class IdempotencyKeyReused(Exception):
    """An idempotency key came back with a different request (a bug in the caller)."""


class PaymentProvider(Protocol):
    """What the payments service needs from a card processor.

    `idempotency_key` is stable per order (charge) or payment (refund): a provider that
    honours it (Stripe does, and so does the simulator) answers a repeated call with the
    first result and never charges or refunds twice. A call that cannot be made raises
    ProviderUnavailable (any other exception is treated the same way: retried later).
    """

    def charge(self, *, amount: Decimal, token: str, idempotency_key: str) -> ChargeResult: ...

    def refund(self, *, reference: str, amount: Decimal, idempotency_key: str) -> RefundResult: ...


class SimulatorProvider:
    """Stripe-style test tokens: `tok_visa` succeeds, `tok_chargeDeclined` (or anything else) declines.

    It keeps its idempotency keys in its own table (`payments.simulator`): the same key
    returns the first result, even from another process. Refunds fail with
    ProviderUnavailable while an outage is switched on (`payments.simulator.control`).
    """

    SUCCEEDING_TOKENS = frozenset({"tok_visa"})
    DECLINED_TOKENS = frozenset({"tok_chargeDeclined"})

    def __init__(self, *, latency_ms: int | None = None):
        self.latency_ms = settings.PAYMENT_SIMULATOR_LATENCY_MS if latency_ms is None else latency_ms

    def _wait(self) -> None:
        if self.latency_ms > 0:
            time.sleep(self.latency_ms / 1000)

    def charge(self, *, amount: Decimal, token: str, idempotency_key: str) -> ChargeResult:
        self._wait()
        request = {"amount": str(amount), "token": token}
        if token in self.SUCCEEDING_TOKENS:
            first = ChargeResult(succeeded=True, reference=f"sim_ch_{uuid.uuid4().hex}")
        elif token in self.DECLINED_TOKENS:
            first = ChargeResult(succeeded=False, reason="card_declined")
        else:
            first = ChargeResult(succeeded=False, reason="invalid_payment_method")
        return ChargeResult(**_once(idempotency_key, "charge", request, first))

    def refund(self, *, reference: str, amount: Decimal, idempotency_key: str) -> RefundResult:
        self._wait()
        if refund_outage_now():
            raise ProviderUnavailable("simulated outage: refunds are unavailable")
        request = {"reference": reference, "amount": str(amount)}
        first = RefundResult(succeeded=True, reference=f"sim_re_{uuid.uuid4().hex}")
        return RefundResult(**_once(idempotency_key, "refund", request, first))


def _once(key: str, operation: str, request: dict, first) -> dict:
    """Record `first` as the answer to `key`, or return the answer recorded before."""
    answer = {"succeeded": first.succeeded, "reference": first.reference, "reason": first.reason}
    try:
        with transaction.atomic():
            SimulatedCall.objects.create(idempotency_key=key, operation=operation, request=request, **answer)
        return answer
    except IntegrityError:
        pass  # seen before (perhaps at this very moment, by another worker)
    seen = SimulatedCall.objects.get(idempotency_key=key)
    if (seen.operation, seen.request) != (operation, request):
        raise IdempotencyKeyReused(f"idempotency key {key!r} was used for another request")
    SimulatedCall.objects.filter(id=seen.id).update(requests=F("requests") + 1)
    return {"succeeded": seen.succeeded, "reference": seen.reference, "reason": seen.reason}


@cache
def _provider_class(path: str) -> type:
    return import_string(path)


def payment_provider() -> PaymentProvider:
    """Return the configured provider (setting PAYMENT_PROVIDER)."""
    return _provider_class(settings.PAYMENT_PROVIDER)()
