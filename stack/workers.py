"""How each service's processes run under `up`: its gunicorn worker model, and the priority
of its event workers (`manage.py work`).

The defaults per service were chosen by measurement (docs/PERFORMANCE.md, "Worker model").
Environment overrides, most specific first:
- `<SERVICE>_GUNICORN_WORKER_CLASS`, `<SERVICE>_GUNICORN_WORKERS`, `<SERVICE>_GUNICORN_THREADS`
  (one service, e.g. ORDERS_GUNICORN_WORKERS=4);
- `GUNICORN_WORKER_CLASS`, `GUNICORN_WORKERS`, `GUNICORN_THREADS` (every service);
- `EVENT_WORKERS_NICE`: the nice value of every `manage.py work` process (0 = as the web
  servers). Under a burst the web servers take the cores first, so orders are accepted at
  once and the saga's events wait in the outbox and on the broker until the burst is over;
  when the web servers are idle the workers get the whole machine, whatever their value.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class WebModel:
    worker_class: str  # "gthread" or "sync"
    workers: int
    threads: int


DEFAULT_WEB = WebModel("gthread", 2, 4)
# Measured on the 2-core machine (docs/PERFORMANCE.md, "Worker model"): for cache hits
# (products) and order intake (orders) gthread 2 x 4 beat sync 3-8 and gthread 3-4 x 2-4
# in the same runs; the other services keep the default.
MEASURED_WEB: dict[str, WebModel] = {
    "products": WebModel("gthread", 2, 4),
    "orders": WebModel("gthread", 2, 4),
}
DEFAULT_EVENT_WORKERS_NICE = 19


def _setting(env: dict, service: str, name: str, default) -> str:
    return env.get(f"{service.upper()}_GUNICORN_{name}") or env.get(f"GUNICORN_{name}") or str(default)


def web_model(service: str, env: dict) -> WebModel:
    """The gunicorn model of `service`: the environment's, else the measured one, else the default."""
    chosen = MEASURED_WEB.get(service, DEFAULT_WEB)
    return WebModel(
        _setting(env, service, "WORKER_CLASS", chosen.worker_class),
        int(_setting(env, service, "WORKERS", chosen.workers)),
        int(_setting(env, service, "THREADS", chosen.threads)),
    )


def gunicorn_arguments(service: str, env: dict) -> list[str]:
    model = web_model(service, env)
    arguments = ["--worker-class", model.worker_class, "--workers", str(model.workers)]
    if model.worker_class == "gthread":
        arguments += ["--threads", str(model.threads)]
    return arguments


def event_worker_prefix(env: dict) -> list[str]:
    """What runs a `manage.py work` at its priority: `nice -n N` (nothing for 0)."""
    nice = int(env.get("EVENT_WORKERS_NICE") or DEFAULT_EVENT_WORKERS_NICE)
    return ["nice", "-n", str(nice)] if nice else []
