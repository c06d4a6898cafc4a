"""CPU time per part of the running system (psutil): where a scenario's CPU went.

Every child of `up` runs in its own process group (gunicorn's workers and nginx's too), so
its CPU is the sum over the processes of that group. PostgreSQL and Redis are counted by
process name; `machine` is the whole machine (other work on it included).
"""

import os
import time

import psutil

from stack import procs

SHARED_SERVERS = {"postgres": "postgresql", "redis-server": "redis"}


def _cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def snapshot(children: dict[str, int]) -> dict[str, float]:
    """Return CPU seconds used so far by each child (by its process group) and shared server."""
    groups = procs.groups()
    totals = {name: procs.group_total(groups.get(pid, []), _cpu_seconds) for name, pid in children.items()}
    for name in SHARED_SERVERS.values():
        totals[name] = 0.0
    for process in psutil.process_iter(["name"]):
        if process.info["name"] in SHARED_SERVERS:
            totals[SHARED_SERVERS[process.info["name"]]] += procs.group_total([process], _cpu_seconds)
    machine = psutil.cpu_times()
    totals["machine"] = sum(machine) - machine.idle - getattr(machine, "iowait", 0.0)
    own = os.times()
    # This process (the load generator) and the tools it waited for (wrk, probes).
    totals["bench"] = own.user + own.system + own.children_user + own.children_system
    return totals


def used_between(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """CPU seconds per part between two snapshots, largest first (parts that used none left out)."""
    used = {name: after.get(name, 0.0) - before.get(name, 0.0) for name in after}
    return {
        name: round(value, 2) for name, value in sorted(used.items(), key=lambda item: -item[1]) if value > 0
    }


class CpuMeter:
    """CPU per part of the system over a window, less what those parts burn when idle."""

    def __init__(self, children) -> None:
        self.children = children  # a function returning {child name: pid}
        self.idle_per_second: dict[str, float] = {}

    def measure_idle(self, seconds: float) -> dict[str, float]:
        """Measure what each part uses per second with no load (a broker's polling, say)."""
        before, started = snapshot(self.children()), time.monotonic()
        time.sleep(seconds)
        used = used_between(before, snapshot(self.children()))
        elapsed = time.monotonic() - started
        self.idle_per_second = {name: value / elapsed for name, value in used.items()}
        return {name: round(100 * value, 1) for name, value in self.idle_per_second.items()}

    def start(self) -> tuple[dict[str, float], float]:
        return snapshot(self.children()), time.monotonic()

    def per_unit(self, started: tuple[dict[str, float], float], units: int) -> dict[str, float]:
        """CPU milliseconds per unit (e.g. per order) of each part since `started`, idle use removed."""
        before, began = started
        elapsed = time.monotonic() - began
        used = used_between(before, snapshot(self.children()))
        result = {}
        for name, seconds in used.items():
            busy = seconds - self.idle_per_second.get(name, 0.0) * elapsed
            if busy > 0:
                result[name] = round(busy * 1000 / max(1, units), 2)
        parts = [value for name, value in result.items() if name not in ("machine", "bench")]
        result["system_total"] = round(sum(parts), 2)
        return dict(sorted(result.items(), key=lambda item: -item[1]))
