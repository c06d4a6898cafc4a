"""How `up` runs each service's processes: the gunicorn model per service, the event workers' priority."""

import subprocess
import sys

from stack import workers


def test_the_measured_model_applies_unless_the_environment_says_otherwise(monkeypatch):
    monkeypatch.setitem(workers.MEASURED_WEB, "orders", workers.WebModel("sync", 5, 1))

    assert workers.gunicorn_arguments("orders", {}) == ["--worker-class", "sync", "--workers", "5"]
    assert workers.web_model("orders", {"GUNICORN_WORKERS": "3"}).workers == 3
    assert workers.web_model("orders", {"GUNICORN_WORKERS": "3", "ORDERS_GUNICORN_WORKERS": "7"}).workers == 7
    assert workers.web_model("users", {}) == workers.DEFAULT_WEB
    assert workers.gunicorn_arguments("users", {"USERS_GUNICORN_THREADS": "8"})[-2:] == ["--threads", "8"]


def test_event_workers_run_at_the_chosen_priority():
    prefix = workers.event_worker_prefix({})
    niceness = subprocess.run(
        [*prefix, sys.executable, "-c", "import os; print(os.nice(0))"], capture_output=True, text=True
    )

    assert int(niceness.stdout) == workers.DEFAULT_EVENT_WORKERS_NICE
    assert workers.event_worker_prefix({"EVENT_WORKERS_NICE": "0"}) == []
