"""Child processes, ports and process groups (psutil): start, stop, find what is left."""

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import psutil


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(host: str, port: int, timeout: float = 0.3) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_until(predicate: Callable, *, timeout: float, interval: float = 0.05, message: str = "condition"):
    """Poll `predicate` until it returns a truthy value; return that value or raise AssertionError."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {message}")
        time.sleep(interval)


def wait_for_port(host: str, port: int, *, timeout: float) -> bool:
    try:
        wait_until(lambda: port_open(host, port), timeout=timeout)
    except AssertionError:
        return False
    return True


def start(
    command: list[str], *, log: Path, env: dict | None = None, cwd: Path | None = None
) -> subprocess.Popen:
    """Start `command` in its own process group, its output appended to `log`."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        return subprocess.Popen(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=cwd,
            start_new_session=True,
        )


def stop(process: subprocess.Popen, *, sig: int = signal.SIGTERM, timeout: float = 10) -> None:
    """Signal the process group of `process`, then kill it if it outlives `timeout`."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)


def command_line(pid: int) -> str:
    with contextlib.suppress(psutil.Error):
        return " ".join(psutil.Process(pid).cmdline())
    return ""


def groups() -> dict[int, list[psutil.Process]]:
    """Every process of the machine, by process group."""
    found: dict[int, list[psutil.Process]] = {}
    for process in psutil.process_iter():
        with contextlib.suppress(psutil.Error, ProcessLookupError):
            found.setdefault(os.getpgid(process.pid), []).append(process)
    return found


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def group_total(processes: list[psutil.Process], measure: Callable[[psutil.Process], float]) -> float:
    """Sum `measure` (e.g. resident memory, CPU seconds) over `processes`, skipping those gone."""
    total = 0.0
    for process in processes:
        with contextlib.suppress(psutil.Error):
            total += measure(process)
    return total


def leftovers(pgids: set[int], marker: str) -> list[str]:
    """Processes still in one of `pgids`, or with `marker` in their command line."""
    found = []
    for pgid, processes in groups().items():
        for process in processes:
            cmdline = command_line(process.pid)
            if cmdline and process.pid != os.getpid() and (pgid in pgids or marker in cmdline):
                found.append(f"{process.pid}: {cmdline}")
    return found
