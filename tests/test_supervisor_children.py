"""The supervisor's child handling with real short-lived processes: backoff, stop on request."""

import sys
import time

import pytest

from stack.children import MAX_BACKOFF_SECONDS, Child


@pytest.fixture
def make_child(tmp_path):
    (tmp_path / "control").mkdir()
    made = []

    def make(code: str) -> Child:
        events = []
        child = Child(
            name="probe",
            command=[sys.executable, "-c", code],
            log=tmp_path / "probe.log",
            run_dir=tmp_path,
            on_event=events.append,
        )
        child.events = events
        made.append(child)
        return child

    yield make
    for child in made:
        child.stop()


def wait_exit(child: Child) -> None:
    child.process.wait(10)


def test_a_child_that_keeps_dying_is_restarted_with_growing_backoff(make_child):
    child = make_child("raise SystemExit(3)")
    now = time.monotonic()
    child.supervise(now)
    delays = []
    for _ in range(7):
        wait_exit(child)
        now = time.monotonic()
        child.supervise(now)  # notices the exit and schedules the restart
        delays.append(child.next_start_at - now)  # common.backoff: base·2^(n-1) ±10 %
        child.supervise(child.next_start_at)  # the restart is due
    expected = [1, 2, 4, 8, 16, MAX_BACKOFF_SECONDS, MAX_BACKOFF_SECONDS]
    assert all(abs(delay - want) <= 0.1 * want + 0.5 for delay, want in zip(delays, expected, strict=True))
    assert child.restarts == 7
    assert "probe: exited with code 3; restarting in 1 s" in child.events


def test_a_child_stopped_on_request_stays_stopped_until_released(make_child):
    child = make_child("import time; time.sleep(60)")
    child.supervise(time.monotonic())
    assert child.state == "running"
    assert child.pid_file.read_text().strip() == str(child.process.pid)

    child.stop_marker.touch()
    child.supervise(time.monotonic())
    assert child.state == "stopped"
    assert not child.pid_file.exists()
    child.supervise(time.monotonic() + 3600)  # however long: no restart while marked
    assert child.state == "stopped"

    child.stop_marker.unlink()
    child.supervise(time.monotonic())
    assert child.state == "running"
    assert child.restarts == 1
