"""Switch the simulator's refund outage on and off (tests, drills, `manage.py provider_simulator`)."""

from datetime import timedelta

from django.db.models import F
from django.utils import timezone

from payments.simulator.models import SimulatedOutage

OUTAGE_ID = 1


def simulator_fail_refunds(*, calls: int = 0, seconds: float = 0) -> None:
    """Make the next `calls` refunds fail, and/or every refund for the next `seconds`."""
    until = timezone.now() + timedelta(seconds=seconds) if seconds > 0 else None
    SimulatedOutage.objects.update_or_create(
        id=OUTAGE_ID, defaults={"refund_failures_left": max(0, calls), "refunds_fail_until": until}
    )


def simulator_restore() -> None:
    """End any outage: refunds succeed again."""
    SimulatedOutage.objects.filter(id=OUTAGE_ID).update(refund_failures_left=0, refunds_fail_until=None)


def refund_outage_now() -> bool:
    """Say whether this refund call fails (and count it against the calls left)."""
    outage = SimulatedOutage.objects.filter(id=OUTAGE_ID).first()
    if outage is None:
        return False
    if outage.refunds_fail_until is not None and timezone.now() < outage.refunds_fail_until:
        return True
    if outage.refund_failures_left == 0:
        return False
    return bool(
        SimulatedOutage.objects.filter(id=OUTAGE_ID, refund_failures_left__gt=0).update(
            refund_failures_left=F("refund_failures_left") - 1
        )
    )
