"""Run every suite (common, each service, then tests/) in its own pytest process."""

import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from common.local import prepare_local
from stack import broker, procs, system
from stack.registry import ROOT, VAR, existing_services

# pytest's exit code when it collected nothing: not a failure for a suite still empty.
NO_TESTS_COLLECTED = 5


@dataclass
class SuiteResult:
    name: str
    exit_code: int
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    seconds: float = 0.0
    log: Path | None = None

    @property
    def ok(self) -> bool:
        return self.exit_code in (0, NO_TESTS_COLLECTED) and self.failed == 0


def suites() -> list[tuple[str, Path]]:
    found = [("common", ROOT / "common")]
    found += [(service.name, service.directory) for service in existing_services()]
    found.append(("deploy", ROOT / "deploy"))  # offline validation of compose, k8s, image
    return [(name, path) for name, path in found if (path / "tests").is_dir()]


def _count(junit: Path) -> tuple[int, int, int]:
    if not junit.exists():
        return 0, 0, 0
    totals = Counter()
    for suite in ET.parse(junit).getroot().iter("testsuite"):
        totals.update({key: int(suite.get(key, 0)) for key in ("tests", "failures", "errors", "skipped")})
    failed = totals["failures"] + totals["errors"]
    return totals["tests"] - failed - totals["skipped"], failed, totals["skipped"]


def run_suite(name: str, directory: Path, env: dict, extra_args: list[str]) -> SuiteResult:
    logs = VAR / "test-logs"
    logs.mkdir(parents=True, exist_ok=True)
    junit, log = logs / f"{name}.xml", logs / f"{name}.log"
    junit.unlink(missing_ok=True)
    started = time.monotonic()
    with open(log, "wb") as out:
        code = subprocess.call(
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", f"--junitxml={junit}", *extra_args],
            cwd=directory,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    passed, failed, skipped = _count(junit)
    result = SuiteResult(name, code, passed, failed, skipped, time.monotonic() - started, log)
    if code not in (0, NO_TESTS_COLLECTED) and failed == 0:
        result.failed = 1  # pytest itself failed (collection error, crash): count it
    return result


def _report(result: SuiteResult) -> SuiteResult:
    mark = "ok" if result.ok else "FAILED"
    print(
        f"[{mark:>6}] {result.name:<14} {result.passed:>4} passed {result.failed:>3} failed "
        f"{result.skipped:>3} skipped  {result.seconds:6.1f}s",
        flush=True,
    )
    if not result.ok and result.log:
        print(f"--- {result.log} (tail) ---")
        print("\n".join(result.log.read_text(errors="replace").splitlines()[-60:]))
        print("---", flush=True)
    return result


def run_tests(*, only: list[str], pytest_args: list[str], jobs: int) -> int:
    """Run the suites (all, or those named in `only`) and print one summary; return the exit code."""
    prepare_local()  # the local keys and var/ folders every suite's settings read
    env = dict(os.environ)
    started_here = []
    try:
        if not env.get("KAFKA_BOOTSTRAP_SERVERS"):
            port = procs.free_port()
            tansu = broker.start_tansu(port=port, log=VAR / "test-logs" / "tansu.log")
            started_here.append((broker.stop_tansu, tansu))
            env["KAFKA_BOOTSTRAP_SERVERS"] = f"127.0.0.1:{port}"
            env.setdefault("COMMERCEX_KAFKA_PROFILE", "tansu")
        port = procs.free_port()
        command = system.redis_server_command(port=port)
        if not system.redis_reachable(env.get("REDIS_URL", "redis://127.0.0.1:6379/0")) and command:
            started_here.append((procs.stop, procs.start(command, log=VAR / "test-logs" / "redis.log")))
            procs.wait_for_port("127.0.0.1", port, timeout=10)
            env["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
        selected = [(name, path) for name, path in suites() if not only or name in only]
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            futures = [pool.submit(run_suite, name, path, env, pytest_args) for name, path in selected]
            results = [_report(future.result()) for future in futures]
        if (ROOT / "tests").is_dir() and (not only or "e2e" in only):
            results.append(_report(run_suite("e2e", ROOT / "tests", env, pytest_args)))
    finally:
        for stop, process in reversed(started_here):
            stop(process)
    passed = sum(r.passed for r in results)
    failed = sum(r.failed for r in results)
    skipped = sum(r.skipped for r in results)
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 0 if all(r.ok for r in results) else 1
