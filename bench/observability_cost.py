"""What metrics and tracing cost, in CPU per request and per event (docs/OBSERVABILITY.md).

    .venv/bin/python bench/observability_cost.py [--requests 3000] [--events 20000]

Runs the orders service's Django stack in-process (SQLite in a temporary folder, test
client, GET /api/orders/ without a token: the whole middleware chain, DRF, a 401) in child
processes: `bare` (no metrics or trace middleware), `metrics` (as shipped, tracing off:
the default), `tracing` (exporting every span over OTLP/HTTP to a local sink) and
`unsampled` (tracing on, sampler ratio 0). Each child also times the event core's
per-event hooks. CPU is the process's own (time.process_time), after a warm-up, so
it includes the exporter's background thread. Prints one table and the cost of one order
estimated from the events and requests an order causes (see ORDER below).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# One order: the POST, then 6 events published and 10 handled across the services (the
# saga in docs/EVENTS.md: order-created, payment-completed, inventory-updated, stock-changed,
# order-confirmed, notification-sent).
ORDER = {"requests": 1, "published": 6, "consumed": 10}
OURS = ("django_prometheus.", "common.observability.")


def _sink() -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _cpu_us(fn, n: int) -> float:
    for _ in range(max(50, n // 10)):
        fn()
    started = time.process_time()
    for _ in range(n):
        fn()
    return (time.process_time() - started) / n * 1e6


def child(mode: str, requests: int, events: int) -> dict:
    import django

    from common.local import prepare_local

    prepare_local()
    django.setup()
    from django.conf import settings
    from django.test import Client

    from common.events import hooks

    if mode == "bare":
        settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.startswith(OURS)]
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    client = Client()
    per_request = _cpu_us(lambda: client.get("/api/orders/"), requests)
    # An incoming event's context, sampled unless the mode says otherwise.
    flags = "00" if mode == "unsampled" else "01"
    headers = {"traceparent": f"00-{'ab' * 16}-{'cd' * 8}-{flags}"}

    def one_event():
        with hooks.consume_span("order-created", headers):
            hooks.count("events_consumed", "order-created", "handled", 1)
            hooks.count("handler_duration", "order-created", 0.001)
            with hooks.publish_span("payment-completed"):
                hooks.outgoing_trace_headers()
        hooks.count("batch_size", 1)
        hooks.count("events_published", "payment-completed", 1)

    per_event = _cpu_us(one_event, events) if mode != "bare" else 0.0
    from common.observability import tracing

    tracing.shutdown()
    return {"request_us": round(per_request, 1), "event_us": round(per_event, 1)}


def run(requests: int, events: int) -> dict:
    sink = _sink()
    results = {}
    for mode in ("bare", "metrics", "tracing", "unsampled"):
        with tempfile.TemporaryDirectory() as var:
            metrics_dir = Path(var) / "metrics"
            metrics_dir.mkdir()
            env = {
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "orders.settings",
                "COMMERCEX_VAR_DIR": var,
                "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
                "PYTHONPATH": str(ROOT / "services" / "orders"),
                "RATE_LIMIT": "off",
                "LOG_LEVEL": "WARNING",
            }
            env.pop("ORDERS_DATABASE_URL", None)
            env.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)
            if mode in ("tracing", "unsampled"):
                env["OTEL_EXPORTER_OTLP_ENDPOINT"] = f"http://127.0.0.1:{sink.server_address[1]}"
            if mode == "unsampled":  # tracing on, but no trace chosen: what the e2e suite runs
                env.update(OTEL_TRACES_SAMPLER="parentbased_traceidratio", OTEL_TRACES_SAMPLER_ARG="0")
            counts = ["--requests", str(requests), "--events", str(events)]
            command = [sys.executable, __file__, "--child", mode, *counts]
            orders = ROOT / "services" / "orders"
            out = subprocess.run(
                command, cwd=orders, env=env, capture_output=True, text=True, check=True
            ).stdout
            results[mode] = json.loads(out.strip().splitlines()[-1])
    sink.shutdown()
    return results


def order_cost(result: dict, bare: dict) -> float:
    """Extra CPU µs of one order over `bare` (the requests' and events' hooks)."""
    extra_request = result["request_us"] - bare["request_us"]
    return ORDER["requests"] * extra_request + ORDER["consumed"] * result["event_us"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--child", choices=["bare", "metrics", "tracing", "unsampled"])
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.requests, args.events)))
        return 0
    results = run(args.requests, args.events)
    bare = results["bare"]
    print("| mode | CPU per request | per event (hooks) | extra CPU per order |")
    print("| --- | --- | --- | --- |")
    for mode, found in results.items():
        extra = order_cost(found, bare) if mode != "bare" else 0.0
        print(f"| {mode} | {found['request_us']} µs | {found['event_us']} µs | {extra / 1000:.2f} ms |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
