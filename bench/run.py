"""`manage_all.py bench [--quick]`: start the system, measure ceilings and scenarios, print one table.

Writes the same figures to var/bench/results.json with the machine and the commit. Exit
status: 0 when the run completed; 1 when the system failed to start or stopped answering,
or when an order never reached a final state (lost). Speed itself is never asserted.
"""

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime

from bench import ceilings, scenarios
from bench.system import BENCH_VAR, BenchSystem, SystemFailed, uses_postgres
from stack.registry import ROOT


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def commit() -> str:
    def git(*args: str) -> str:
        result = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return result.stdout.strip() if result.returncode == 0 else ""

    head = git("rev-parse", "HEAD") or "unknown"
    return f"{head}{'+dirty' if git('status', '--porcelain', '--untracked-files=no') else ''}"


def run_bench(*, quick: bool) -> int:
    plan = scenarios.Plan(quick=quick)
    started = time.monotonic()
    report: dict = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "mode": "quick" if quick else "full",
        "machine": {
            "cores": os.cpu_count(),
            "cpu_model": ceilings.cpu_model(),
            "load_avg_at_start": os.getloadavg(),
        },
        "commit": commit(),
        "databases": "PostgreSQL" if uses_postgres() else "SQLite (embedded default)",
        "ceilings": {},
        "scenarios": {},
    }
    system = BenchSystem()
    status = 0
    try:
        say(f"starting the system (`manage_all.py up`, gateway :{system.gateway_port}, log {system.log}) ...")
        system.start()
        say(f"system up; broker {system.env['KAFKA_BOOTSTRAP_SERVERS']}, redis {system.env['REDIS_URL']}")
        os.environ.setdefault("COMMERCEX_KAFKA_PROFILE", system.env.get("COMMERCEX_KAFKA_PROFILE", "tansu"))
        report["ceilings"] = ceilings.measure_all(
            quick=quick,
            redis_url=system.env["REDIS_URL"],
            bootstrap=system.env["KAFKA_BOOTSTRAP_SERVERS"],
            say=say,
        )
        fixture = scenarios.prepare(system, plan, say)
        results = report["scenarios"]
        results["reads"] = scenarios.reads(system, fixture, plan, say)
        system.check_alive()
        results["placement"] = scenarios.placement(system, fixture, plan, say)
        system.check_alive()
        results["saga"] = scenarios.saga_fixed_rates(system, fixture, plan, say)
        system.check_alive()
        results["saga_max"] = scenarios.saga_max_rate(system, fixture, plan, say)
        system.check_alive()
        say("final check: every order placed in this run reaches a final state ...")
        final = scenarios.drain(system, scenarios.FINAL_GRACE_SECONDS)
        results["final_open_orders"] = final["open"]
        results["events"] = scenarios.event_backbone(system, plan, ceilings._postgres_url(), say)
        lost = final["open"] + sum(run["lost"] for run in results["saga"].values())
        if lost:
            say(f"FAILED: {lost} orders never reached a final state")
            status = 1
    except SystemFailed as error:
        say(f"FAILED: {error}")
        report["error"] = str(error)
        status = 1
    finally:
        say("stopping the system ...")
        system.stop()
    report["duration_s"] = round(time.monotonic() - started, 1)
    report["table"] = table(report)
    BENCH_VAR.mkdir(parents=True, exist_ok=True)
    (BENCH_VAR / "results.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(report["table"], flush=True)
    say(f"done in {report['duration_s']:.0f} s; figures in {BENCH_VAR / 'results.json'}")
    return status


# ---- the table ---------------------------------------------------------------------------


def _n(value, unit: str = "") -> str:
    if value is None:
        return "n/a"
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.1f}" if abs(value) >= 10 else f"{value:,.2f}"
    return f"{text} {unit}".strip()


def _ms(value) -> str:
    return "" if value is None else _n(value, "ms")


def _ratio(value, ceiling) -> str:
    if not value or not ceiling:
        return ""
    return f"{100 * value / ceiling:.1f} %" if value / ceiling < 0.1 else f"{100 * value / ceiling:.0f} %"


LABELS = {
    "nginx": "nginx fixed body",
    "django": "trivial Django via nginx",
    "redis_get": "Redis GET",
    "db_insert": "DB 1-row INSERT",
    "broker_produce": "broker produce",
    "broker_consume": "broker consume",
}


def table(report: dict) -> str:
    """Render the figures as one markdown table: each figure beside its ceiling and the ratio."""
    c = report.get("ceilings", {})
    s = report.get("scenarios", {})

    def ceiling(name: str) -> tuple[str, float | None]:
        found = c.get(name) or {}
        return f"{LABELS[name]} {_n(found.get('value'), found.get('unit', ''))}", found.get("value")

    rows = [
        "| scenario | figure | p50 | p99 | ceiling (same run) | ratio |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, label in LABELS.items():
        found = c.get(name) or {}
        rows.append(
            f"| ceiling: {label} | {_n(found.get('value'), found.get('unit', ''))} "
            f"| {_ms(found.get('p50_ms'))} | {_ms(found.get('p99_ms'))} | {found.get('how', '')} | |"
        )
    django_label, django_value = ceiling("django")
    read_names = {
        "detail_hit": "catalogue detail, cache hit",
        "list_hit": "catalogue list, cache hit",
        "detail_miss": "catalogue detail, cache miss",
        "list_miss": "catalogue list, cache miss",
    }
    for key, label in read_names.items():
        found = s.get("reads", {}).get(key)
        if found:
            note = "" if found.get("all_misses", True) else " (list wrapped: some hits)"
            rows.append(
                f"| {label}{note} | {_n(found['rps'], 'req/s')} | {_ms(found['p50_ms'])} "
                f"| {_ms(found['p99_ms'])} | {django_label} | {_ratio(found['rps'], django_value)} |"
            )
    found = s.get("placement")
    if found:
        rows.append(
            f"| order placement (POST /api/orders/, saga running) | {_n(found['rps'], 'orders/s')} "
            f"| {_ms(found['p50_ms'])} | {_ms(found['p99_ms'])} | {django_label} "
            f"| {_ratio(found['rps'], django_value)} |"
        )
        rows.append(
            f"| placement backlog finished by the saga | {_n(found['saga_catch_up_rate'], 'orders/s')}, "
            f"{found['open_after_drain']} left open | | "
            f"| drained {found['drain_s']} s after placement ended | |"
        )
    for rate, found in s.get("saga", {}).items():
        seconds = found["seconds"]
        rows.append(
            f"| saga at {rate} orders/s for {seconds:.0f} s: accepted / CONFIRMED / lost "
            f"| {found['accepted']} / {found['confirmed']} / **{found['lost']}** "
            f"| {_ms(found['pending_to_confirmed_p50_ms'])} | {_ms(found['pending_to_confirmed_p99_ms'])} "
            f"| offered {rate}/s (p50/p99: PENDING → CONFIRMED) "
            f"| {_ratio(found['confirmed'] / seconds, float(rate))} |"
        )
    found = s.get("saga_max")
    if found:
        insert_label, insert_value = ceiling("db_insert")
        rows.append(
            f"| saga max sustained rate (all final ≤ {scenarios.STEP_GRACE_SECONDS:.0f} s after the last, "
            f"{found['step_seconds']:.0f} s steps) | {_n(found['max_sustained_rate'], 'orders/s')} | | "
            f"| {insert_label} | {_ratio(found['max_sustained_rate'], insert_value)} |"
        )
    found = s.get("events")
    if found and found.get("events_per_s"):
        label, value = ceiling("broker_produce")
        rows.append(
            f"| event backbone alone (outbox commit → handled, {found['per_transaction']} per tx) "
            f"| {_n(found['events_per_s'], 'events/s')} | {_ms(found.get('latency_p50_ms'))} "
            f"| p95 {_ms(found.get('latency_p95_ms'))} | {label} | {_ratio(found['events_per_s'], value)} |"
        )
    elif found:
        rows.append(f"| event backbone alone | {found.get('skipped') or 'failed'} | | | | |")
    machine = report["machine"]
    header = (
        f"CommerceX bench ({report['mode']}), {machine['cores']} cores {machine['cpu_model']}, "
        f"{report['databases']}, commit {report['commit'][:12]}, {report['started_at']}"
    )
    return header + "\n\n" + "\n".join(rows) + "\n"
