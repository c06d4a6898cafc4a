"""The system under test: one stack.harness.System per session, on var/e2e and free ports.

It has its own Redis (started by `up` on a free port, so a test may stop it) and its own
Tansu broker. With <SERVICE>_DATABASE_URL pointing at PostgreSQL (CI), it uses databases
named commercex_e2e_<service> on the same server, created afresh for each session. While
another session holds var/e2e, this one takes a folder (and database names) of its own.
"""

import fcntl
import os

from stack.harness import System
from stack.procs import wait_until
from stack.registry import ROOT
from stack.registry import existing_services as _services

__all__ = ["ROOT", "VAR", "existing_services", "make_system", "wait_until"]
_LOCKS = []


def _claim_var():
    lock = ROOT / "var" / "e2e.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    handle = open(lock, "w")  # noqa: SIM115 (held for the whole session)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return ROOT / "var" / f"e2e-{os.getpid()}", f"e2e_{os.getpid()}"
    _LOCKS.append(handle)
    return ROOT / "var" / "e2e", "e2e"


VAR, _LABEL = _claim_var()


def existing_services() -> list[str]:
    return [service.name for service in _services()]


def make_system() -> System:
    return System(var=VAR, databases=_LABEL, own_redis=True)


def discard(system: System) -> None:
    """Remove a session-private folder and databases (var/e2e is kept, to inspect)."""
    if _LABEL != "e2e":
        system.discard()
