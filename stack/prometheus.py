"""Prometheus for `manage_all.py up`: each service's metrics folder, the scrape config of the
processes `up` started (var/run/prometheus.yml), and Prometheus itself when it is installed
(Debian's `prometheus` package; `up --observability` installs it). See docs/OBSERVABILITY.md.

Every process of a service (gunicorn workers, consumer, relay) writes its samples into the
service's own folder var/run/metrics/<service>/ (prometheus_client's multiprocess mode,
PROMETHEUS_MULTIPROC_DIR), emptied at each start, and the service's /metrics adds them up.
"""

import os
import shutil
from pathlib import Path

from stack import procs
from stack.registry import ROOT

DEFAULT_PORT = 9090
DEFAULT_SCRAPE_INTERVAL = "5s"
ALERT_RULES = ROOT / "deploy" / "prometheus" / "alerts.yml"
DEBIAN_PACKAGE = "prometheus"


def metrics_dir(var: Path, service: str) -> Path:
    return var / "run" / "metrics" / service


def service_env(var: Path, service: str) -> dict[str, str]:
    """The environment of a service's processes: an empty metrics folder of its own.

    Called once per service when `up` starts it; the folder outlives a child's restart
    (counters keep counting), not a new `up`.
    """
    folder = metrics_dir(var, service)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return {"PROMETHEUS_MULTIPROC_DIR": str(folder)}


def scrape_config(
    *, ports: dict[str, int], interval: str = DEFAULT_SCRAPE_INTERVAL, rules: Path | None = None
) -> str:
    """Return prometheus.yml scraping every service's /metrics, each target labelled `service`."""
    lines = [
        "# Written by `manage_all.py up` for the processes it started; see docs/OBSERVABILITY.md.",
        "global:",
        f"  scrape_interval: {interval}",
        f"  evaluation_interval: {interval}",
        "  external_labels:",
        "    system: commercex-local",
    ]
    if rules is not None:
        lines += ["rule_files:", f"  - {rules}"]
    lines += [
        "scrape_configs:",
        "  - job_name: commercex",
        "    metrics_path: /metrics",
        "    scrape_timeout: 4s",
        "    static_configs:",
    ]
    for name, port in ports.items():
        lines += [f"      - targets: ['127.0.0.1:{port}']", f"        labels: {{service: {name}}}"]
    return "\n".join(lines) + "\n"


def write_config(*, var: Path, ports: dict[str, int], env: dict) -> Path:
    config = var / "run" / "prometheus.yml"
    config.parent.mkdir(parents=True, exist_ok=True)
    interval = env.get("PROMETHEUS_SCRAPE_INTERVAL") or DEFAULT_SCRAPE_INTERVAL
    config.write_text(
        scrape_config(ports=ports, interval=interval, rules=ALERT_RULES if ALERT_RULES.exists() else None)
    )
    return config


def binary() -> str | None:
    return shutil.which("prometheus") or (
        "/usr/bin/prometheus" if os.access("/usr/bin/prometheus", os.X_OK) else None
    )


def command(*, config: Path, port: int, data_dir: Path) -> list[str]:
    return [
        binary() or "prometheus",
        f"--config.file={config}",
        f"--web.listen-address=127.0.0.1:{port}",
        f"--storage.tsdb.path={data_dir}",
        "--storage.tsdb.retention.time=2d",
        "--log.level=warn",
    ]


def start(up) -> None:
    """Write var/run/prometheus.yml for `up`'s services and run Prometheus if installed.

    `up` is the supervisor (stack.supervisor.Up): its services, ports, env, var, info.
    """
    ports = {service.name: up.ports[service.name] for service in up.services}
    config = write_config(var=up.var, ports=ports, env=up.env)
    up.info["prometheus_config"] = str(config)
    if binary() is None:
        up.say(
            f"prometheus: not installed; scrape config in {config} "
            "(`manage_all.py up --observability` installs it)"
        )
        return
    wanted = int(up.env.get("PROMETHEUS_PORT") or DEFAULT_PORT)
    port = wanted if not procs.port_open("127.0.0.1", wanted) else procs.free_port()
    data_dir = up.var / "prometheus"
    data_dir.mkdir(parents=True, exist_ok=True)
    child = up.child("prometheus", command(config=config, port=port, data_dir=data_dir), tier=3)
    up.start_and_wait(child, port, timeout=30)
    up.info["prometheus_url"] = f"http://127.0.0.1:{port}"
    up.say(f"prometheus: http://127.0.0.1:{port} (scraping {len(ports)} services; config {config})")


def install(*, say) -> bool:
    """`up --observability`: install Debian's Prometheus when it is missing."""
    if binary() is not None:
        return True
    from stack import system

    return system.install_packages([DEBIAN_PACKAGE], say=say)
