"""One supervised child process: start, stop, restart with backoff, stop on request.

A child can be stopped and started again while `up` runs (tests use this to take one
consumer or service down): `manage_all.py ctl stop <name>` creates the marker file
var/run/control/<name>.stopped and the supervisor stops the child and leaves it stopped
until the marker is gone (`manage_all.py ctl start <name>`).
"""

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from common.backoff import backoff_seconds
from stack import procs

# A child that ran this long before dying is restarted at once; quicker deaths back off.
STABLE_AFTER_SECONDS = 30.0
MAX_BACKOFF_SECONDS = 30.0


@dataclass
class Child:
    name: str
    command: list[str]
    log: Path
    run_dir: Path
    cwd: Path | None = None
    env: dict | None = None
    stop_signal: int = signal.SIGTERM
    stop_timeout: float = 10.0
    # Tier decides shutdown order: higher tiers stop first (gateway, then services, ...).
    tier: int = 1
    process: subprocess.Popen | None = None
    restarts: int = 0
    failures_in_a_row: int = 0
    started_at: float = 0.0
    next_start_at: float = 0.0
    stopped_on_request: bool = False
    log_offset: int = 0
    on_event: Callable[[str], None] = field(default=print, repr=False)

    @property
    def pid_file(self) -> Path:
        return self.run_dir / f"{self.name}.pid"

    @property
    def stop_marker(self) -> Path:
        return self.run_dir / "control" / f"{self.name}.stopped"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def state(self) -> str:
        if self.running:
            return "running"
        if self.stop_marker.exists():
            return "stopped"
        return "restarting" if self.process is not None else "not started"

    def start(self) -> None:
        self.log_offset = self.log.stat().st_size if self.log.exists() else 0
        self.process = procs.start(self.command, log=self.log, env=self.env, cwd=self.cwd)
        self.started_at = time.monotonic()
        self.pid_file.write_text(f"{self.process.pid}\n")

    def new_output(self) -> str:
        """Return what the child wrote to its log since it was last started."""
        try:
            with open(self.log, "rb") as log:
                log.seek(self.log_offset)
                return log.read().decode(errors="replace")
        except OSError:
            return ""

    def signal_stop(self) -> None:
        """Send the stop signal to the child's process group without waiting."""
        if self.running:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, self.stop_signal)

    def stop(self) -> None:
        if self.process is not None:
            procs.stop(self.process, sig=self.stop_signal, timeout=self.stop_timeout)
        self.pid_file.unlink(missing_ok=True)

    def supervise(self, now: float) -> None:
        """Apply the stop marker, and restart the child (with backoff) when it died."""
        if self.stop_marker.exists():
            if self.running:
                self.on_event(f"{self.name}: stopping on request")
                self.stop()
                self.on_event(f"{self.name}: stopped")
            self.stopped_on_request = True
            return
        if self.running:
            return
        if self.stopped_on_request:
            self.stopped_on_request = False
            self.next_start_at = now
            self.on_event(f"{self.name}: starting on request")
        elif self.process is not None and self.next_start_at == 0.0:
            self._schedule_restart(now)
        if now >= self.next_start_at:
            self.next_start_at = 0.0
            restarting = self.process is not None
            self.start()
            if restarting:
                self.restarts += 1
                self.on_event(f"{self.name}: started again (pid {self.process.pid})")

    def _schedule_restart(self, now: float) -> None:
        self.pid_file.unlink(missing_ok=True)
        if now - self.started_at > STABLE_AFTER_SECONDS:
            self.failures_in_a_row = 0
        self.failures_in_a_row += 1
        delay = backoff_seconds(self.failures_in_a_row, base=1.0, cap=MAX_BACKOFF_SECONDS)
        code = self.process.returncode
        self.on_event(f"{self.name}: exited with code {code}; restarting in {delay:.0f} s")
        self.next_start_at = now + delay
