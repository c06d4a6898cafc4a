"""`manage_all.py bench [--quick]`: start the system, measure ceilings and scenarios, print one table.

Writes the same figures to var/bench/results.json with the machine and the commit, and
draws them beside it (bench/charts.py: saga.svg, cpu.svg). Exit
status: 0 when the run completed; 1 when the system failed to start or stopped answering,
or when an order never reached a final state (lost). Speed itself is never asserted.
"""

import json
import os
import signal
import subprocess
import sys
import time
import traceback
from datetime import UTC, datetime

from bench import ceilings, charts, scenarios
from bench.system import BENCH_VAR, BenchSystem, SystemFailed
from stack.registry import ROOT
from stack.system import postgres_url


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def commit() -> str:
    def git(*args: str) -> str:
        result = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return result.stdout.strip() if result.returncode == 0 else ""

    head = git("rev-parse", "HEAD") or "unknown"
    return f"{head}{'+dirty' if git('status', '--porcelain', '--untracked-files=no') else ''}"


def new_report(quick: bool) -> dict:
    return {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "mode": "quick" if quick else "full",
        "machine": {
            "cores": os.cpu_count(),
            "cpu_model": ceilings.cpu_model(),
            "load_avg_at_start": os.getloadavg(),
        },
        "commit": commit(),
        "databases": "PostgreSQL" if postgres_url() else "SQLite (embedded default)",
        "ceilings": {},
        "scenarios": {},
    }


def run_scenarios(system: BenchSystem, plan, results: dict) -> None:
    """Run each scenario (or those in BENCH_ONLY); a broken one is reported, the others still run."""
    fixture = scenarios.prepare(system, plan, say)
    steps = {
        "reads": lambda: scenarios.reads(system, fixture, plan, say),
        "placement": lambda: scenarios.placement(system, fixture, plan, say),
        "saga": lambda: scenarios.saga_fixed_rates(system, fixture, plan, say),
        "saga_max": lambda: scenarios.saga_max_rate(system, fixture, plan, say),
        "events": lambda: scenarios.event_backbone(system, plan, postgres_url(), say),
    }
    only = [name for name in os.environ.get("BENCH_ONLY", "").split(",") if name]
    for name, step in steps.items():
        if only and name not in only:
            continue
        try:
            results[name] = step()
        except SystemFailed:
            raise
        except Exception as error:  # noqa: BLE001 - report a broken scenario, run the others
            say(f"scenario {name} failed:\n{traceback.format_exc()}")
            results[name] = {"error": f"{type(error).__name__}: {error}"[:500]}
        system.check_alive()


def run_bench(*, quick: bool) -> int:
    plan = scenarios.Plan(quick=quick)
    started = time.monotonic()
    report = new_report(quick)
    system = BenchSystem()
    # SIGTERM stops the benchmark like Ctrl-C does: through `finally`, which stops the system.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    status = 0
    try:
        say(f"starting the system (`manage_all.py up`, gateway {system.gateway_url}, log {system.log}) ...")
        system.start()
        broker, redis = system.env["KAFKA_BOOTSTRAP_SERVERS"], system.env["REDIS_URL"]
        say(f"system up; broker {broker}, redis {redis}")
        os.environ.setdefault("COMMERCEX_KAFKA_PROFILE", system.env.get("COMMERCEX_KAFKA_PROFILE", "tansu"))
        report["ceilings"] = ceilings.measure_all(quick=quick, redis_url=redis, bootstrap=broker, say=say)
        results = report["scenarios"]
        run_scenarios(system, plan, results)
        report["idle_cpu_percent_of_a_core"] = system.idle_cpu_percent
        say("final check: every order placed in this run reaches a final state ...")
        final = scenarios.drain(system, scenarios.FINAL_GRACE_SECONDS)
        results["final_open_orders"] = final["open"]
        lost = final["open"] + sum(
            run.get("lost", 0) for run in results.get("saga", {}).values() if isinstance(run, dict)
        )
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
    report["machine"]["load_avg_at_end"] = os.getloadavg()
    report["table"] = table(report)
    BENCH_VAR.mkdir(parents=True, exist_ok=True)
    (BENCH_VAR / "results.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    drawn = charts.write_charts(json.loads(json.dumps(report, default=str)), BENCH_VAR)
    print(report["table"], flush=True)
    pictures = ", ".join(path.name for path in drawn)
    say(f"done in {report['duration_s']:.0f} s; figures in {BENCH_VAR / 'results.json'}, charts {pictures}")
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


def _row(*cells) -> str:
    """One table row: scenario, figure, p50, p99, ceiling, ratio (missing cells left empty)."""
    return "|" + "|".join(f" {cell} " if cell else " " for cell in [*cells, "", "", "", "", ""][:6]) + "|"


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

    def ceiling(name: str) -> tuple[str, float | None]:
        found = c.get(name) or {}
        return f"{LABELS[name]} {_n(found.get('value'), found.get('unit', ''))}", found.get("value")

    rows = [_row("scenario", "figure", "p50", "p99", "ceiling (same run)", "ratio"), _row(*["---"] * 6)]
    for name, label in LABELS.items():
        found = c.get(name) or {}
        figure = _n(found.get("value"), found.get("unit", ""))
        rows.append(_timed(f"ceiling: {label}", figure, found, found.get("how", ""), ""))
    renderers = {
        "reads": _read_rows,
        "placement": _placement_rows,
        "saga": _saga_rows,
        "saga_max": _saga_max_rows,
        "events": _event_rows,
    }
    for name, render in renderers.items():
        found = report.get("scenarios", {}).get(name)
        if found is None:
            continue
        if "error" in found:
            rows.append(_row(name, f"failed: {found['error'].splitlines()[0][:200]}"))
        else:
            rows += render(found, ceiling)
    if "final_open_orders" in report.get("scenarios", {}):
        what = f"orders of the whole run not final {scenarios.FINAL_GRACE_SECONDS:.0f} s after the last"
        rows.append(_row(what, f"**{report['scenarios']['final_open_orders']}** lost", "", "", "must be 0"))
    machine = report["machine"]
    header = (
        f"CommerceX bench ({report['mode']}), {machine['cores']} cores {machine['cpu_model']}, "
        f"{report['databases']}, commit {report['commit'][:12]}, {report['started_at']}"
    )
    idle = report.get("idle_cpu_percent_of_a_core") or {}
    if "machine" in idle:
        ours = sum(value for name, value in idle.items() if name != "machine")
        others = max(0.0, idle["machine"] - ours) / 100
        header += f"\nWhile the system idled, other work used {others:.2f} of the {machine['cores']} cores"
        header += ": figures from a busy machine are low, compare the ratios." if others > 0.25 else "."
    return header + "\n\n" + "\n".join(rows) + "\n"


READS = {
    "detail_hit": "catalogue detail, cache hit",
    "list_hit": "catalogue list, cache hit",
    "detail_miss": "catalogue detail, cache miss",
    "list_miss": "catalogue list, cache miss",
}


def _timed(name: str, figure: str, run: dict, ceiling_label: str, ratio: str) -> str:
    return _row(name, figure, _ms(run.get("p50_ms")), _ms(run.get("p99_ms")), ceiling_label, ratio)


def _read_rows(found: dict, ceiling) -> list[str]:
    label, value = ceiling("django")
    rows = []
    for key, name in READS.items():
        if run := found.get(key):
            note = "" if run.get("all_misses", True) else " (list wrapped: some hits)"
            rows.append(_timed(name + note, _n(run["rps"], "req/s"), run, label, _ratio(run["rps"], value)))
    return rows


def _placement_rows(found: dict, ceiling) -> list[str]:
    label, value = ceiling("django")
    placed = "order placement (POST /api/orders/, saga running)"
    backlog = f"{_n(found['saga_catch_up_rate'], 'orders/s')}, {found['open_after_drain']} left open"
    drained = f"drained {found['drain_s']} s after placement"
    return [
        _timed(placed, _n(found["rps"], "orders/s"), found, label, _ratio(found["rps"], value)),
        _row("its backlog, finished by the saga", backlog, "", "", drained),
    ]


def _saga_rows(found: dict, ceiling) -> list[str]:
    rows = []
    for rate, run in found.items():
        seconds = run["seconds"]
        overloaded = f" (overloaded: gave up after {run['sent']} sent)" if run.get("gave_up") else ""
        rows.append(
            _row(
                f"saga at {rate} orders/s for {seconds:.0f} s{overloaded}: accepted / CONFIRMED / lost",
                f"{run['accepted']} / {run['confirmed']} / **{run['lost']}**",
                _ms(run["pending_to_confirmed_p50_ms"]),
                _ms(run["pending_to_confirmed_p99_ms"]),
                f"offered {rate}/s (p50/p99: PENDING → CONFIRMED)",
                _ratio(run["confirmed"] / seconds, float(rate)),
            )
        )
        used = run.get("cpu_ms_per_order", {})
        parts = [f"{name} {value:.1f}" for name, value in used.items() if name not in charts.NOT_PARTS]
        what = f"CPU per order at {rate}/s (placing + saga, idle use removed)"
        rows.append(_row(what, _n(used.get("system_total"), "ms"), "", "", ", ".join(parts[:6])))
    return rows


def _saga_max_rows(found: dict, ceiling) -> list[str]:
    label, value = ceiling("db_insert")
    what = (
        f"saga max sustained rate (all final ≤ {scenarios.STEP_GRACE_SECONDS:.0f} s after the last, "
        f"{found['step_seconds']:.0f} s steps)"
    )
    rate = found["max_sustained_rate"]
    return [_row(what, _n(rate, "orders/s"), "", "", label, _ratio(rate, value))]


def _event_rows(found: dict, ceiling) -> list[str]:
    if not found.get("events_per_s"):
        return [_row("event backbone alone", found.get("skipped") or found.get("failed", "failed")[:200])]
    label, value = ceiling("broker_produce")
    what = f"event backbone alone (outbox commit → handled, {found['per_transaction']} per tx)"
    rate = found["events_per_s"]
    figures = (
        _n(rate, "events/s"),
        _ms(found.get("latency_p50_ms")),
        f"p95 {_ms(found.get('latency_p95_ms'))}",
    )
    return [_row(what, *figures, label, _ratio(rate, value))]


if __name__ == "__main__":
    sys.exit(run_bench(quick="--quick" in sys.argv[1:]))
